// Who issues the invoices: INVOICE_SELLER_NAME and INVOICE_SELLER_ADDRESS, read once at start-up.
import assert from '../helpers/assert.js';
import { test } from '@jest/globals';
import { ConfigError, parseConfig } from '../../server/config.js';

test('When no seller is configured, then invoices name Seatkeeper over the public URL', () => {
  assert.deepEqual(parseConfig({}).invoiceSeller, { name: 'Seatkeeper', lines: ['http://127.0.0.1:3000'] });
  assert.deepEqual(parseConfig({ PUBLIC_BASE_URL: 'https://seats.example.com/' }).invoiceSeller.lines, [
    'https://seats.example.com',
  ]);
});

test('When a seller address is configured, then its lines are split at | and trimmed, empty ones dropped', () => {
  const config = parseConfig({
    INVOICE_SELLER_NAME: ' Vendor GmbH ',
    INVOICE_SELLER_ADDRESS: 'Musterweg 2 | 80331 München || VAT DE999999999 |',
  });
  assert.deepEqual(config.invoiceSeller, {
    name: 'Vendor GmbH',
    lines: ['Musterweg 2', '80331 München', 'VAT DE999999999'],
  });
  assert.ok(Object.isFrozen(config.invoiceSeller.lines));
});

test('When the seller address has too many lines, then the configuration is refused naming the key', () => {
  assert.throws(
    () => parseConfig({ INVOICE_SELLER_ADDRESS: Array.from({ length: 9 }, (_, i) => `line ${i}`).join('|') }),
    (error: unknown) => error instanceof ConfigError && /INVOICE_SELLER_ADDRESS/.test(error.message),
  );
});
