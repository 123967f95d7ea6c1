// Baseline "echo": a bare express 5 JSON server, the HTTP limit of this machine for the same
// requests. It parses JSON bodies like the SCIM router does (application/json and
// application/scim+json), answers POST with the body and 201, PUT/PATCH with the body and 200,
// and GET with a small JSON list (the shape of an empty SCIM ListResponse).
import express from 'express';
import { announce, listenLocal, serveCommands, statusCounter } from './child-side.js';

const EMPTY_LIST = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 0,
  startIndex: 1,
  itemsPerPage: 0,
  Resources: [],
};

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ type: ['application/json', 'application/scim+json'], limit: '1mb' }));
app.use((req, res) => {
  if (req.method === 'POST') res.status(201).json(req.body);
  else if (req.method === 'PUT' || req.method === 'PATCH') res.status(200).json(req.body);
  else res.status(200).json(EMPTY_LIST);
});

const { server, port } = await listenLocal();
const statuses = statusCounter();
server.on('request', statuses.wrap(app));
serveCommands({ counts: () => ({ statuses: { ...statuses.counts } }) }, () => {
  server.closeAllConnections();
  server.close();
});
announce({ port });
