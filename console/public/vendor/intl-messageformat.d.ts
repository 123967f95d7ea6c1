// The types of the ICU MessageFormat library whose browser bundle the console server serves at
// /console/assets/vendor/intl-messageformat.js (from node_modules/intl-messageformat).
export * from 'intl-messageformat';
