// Read a GraphML or GEXF file with the parsers Gephi Lite uses and print
// every node and edge with its attributes as JSON, for tests/test_export_formats.py.
'use strict';
const fs = require('fs');
const Graph = require('graphology');
const graphml = require('graphology-graphml');
const gexf = require('graphology-gexf');

const [format, file] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const parser = format === 'gexf' ? gexf : graphml;
const graph = parser.parse(Graph, text);
const out = {
  type: graph.type,
  multi: graph.multi,
  attributes: graph.getAttributes(),
  nodes: graph.mapNodes((key, attributes) => ({ key, attributes })),
  edges: graph.mapEdges((key, attributes, source, target) => ({ key, source, target, attributes })),
};
process.stdout.write(JSON.stringify(out));
