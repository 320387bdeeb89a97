/**
 * The interactive API documentation at /api/docs: one HTML page and one
 * script, served by the API itself (no CDN). It reads /api/v1/openapi.json,
 * lists the operations by tag with their parameters, bodies and responses,
 * and sends requests ("Try it") with an optional bearer token. Everything
 * from the document is inserted as text, never as HTML.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Curta API</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
  header { padding: 12px 20px; background: #111; color: #fff; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header input { width: 320px; max-width: 60vw; padding: 4px 6px; }
  main { max-width: 1100px; margin: 0 auto; padding: 12px 20px 40px; }
  h2 { margin: 28px 0 4px; text-transform: capitalize; }
  .tagdesc { color: #555; margin-bottom: 8px; }
  details.op { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 6px 0; }
  details.op > summary { cursor: pointer; padding: 8px 10px; display: flex; gap: 10px; align-items: baseline; }
  .method { font: 600 12px monospace; padding: 2px 6px; border-radius: 4px; color: #fff; min-width: 56px; text-align: center; }
  .GET { background: #2b7bb9; } .POST { background: #2e8b57; } .PUT { background: #b8860b; } .PATCH { background: #8a5cb8; }
  .DELETE { background: #c0392b; } .OPTIONS, .HEAD { background: #777; }
  .path { font-family: monospace; font-weight: 600; }
  .lock { color: #a15c00; font-size: 12px; }
  .body { padding: 0 12px 12px; }
  pre { background: #f3f3f3; padding: 8px; overflow: auto; max-height: 360px; font-size: 12px; }
  table { border-collapse: collapse; margin: 6px 0; }
  td, th { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
  textarea { width: 100%; min-height: 120px; font: 12px monospace; }
  button { padding: 4px 12px; }
  .status { font-weight: 600; }
</style>
</head>
<body>
<header><h1>Curta API</h1>
<label>Bearer token <input id="token" placeholder="from POST /api/v1/auth/login" autocomplete="off"></label>
<a href="/api/v1/openapi.json" style="color:#9cf">openapi.json</a></header>
<main id="main"><p>Loading…</p></main>
<script src="/api/docs/app.js"></script>
</body>
</html>
`;

export const DOCS_SCRIPT = `'use strict';
(async function () {
  var main = document.getElementById('main');
  var tokenInput = document.getElementById('token');
  try { tokenInput.value = sessionStorage.getItem('curta-docs-token') || ''; } catch (e) {}
  tokenInput.addEventListener('change', function () { try { sessionStorage.setItem('curta-docs-token', tokenInput.value.trim()); } catch (e) {} });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }

  var doc = await (await fetch('/api/v1/openapi.json')).json();
  var schemas = (doc.components && doc.components.schemas) || {};

  function resolve(schema, depth) {
    if (!schema || typeof schema !== 'object' || depth > 6) return schema;
    if (schema.$ref) {
      var name = schema.$ref.split('/').pop();
      return depth > 4 ? { $ref: name } : resolve(schemas[name], depth + 1);
    }
    if (Array.isArray(schema)) return schema.map(function (s) { return resolve(s, depth); });
    var out = {};
    Object.keys(schema).forEach(function (k) { out[k] = typeof schema[k] === 'object' ? resolve(schema[k], depth + 1) : schema[k]; });
    return out;
  }

  function example(schema, depth) {
    schema = resolve(schema, 0);
    if (!schema || depth > 5) return null;
    if (schema.default !== undefined) return schema.default;
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return schema.enum[0];
    if (schema.anyOf || schema.oneOf) return example((schema.anyOf || schema.oneOf)[0], depth + 1);
    var type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'object') {
      var o = {};
      Object.keys(schema.properties || {}).forEach(function (k) {
        if ((schema.required || []).indexOf(k) >= 0) o[k] = example(schema.properties[k], depth + 1);
      });
      return o;
    }
    if (type === 'array') return [];
    if (type === 'integer' || type === 'number') return schema.minimum || 0;
    if (type === 'boolean') return false;
    return '';
  }

  function section(title, node) { return el('div', {}, [el('h4', { text: title }), node]); }

  function operation(path, method, op) {
    var body = el('div', { class: 'body' });
    if (op.description) body.appendChild(el('p', { text: op.description }));
    var inputs = {};
    if (op.parameters && op.parameters.length) {
      var table = el('table', {}, [el('tr', {}, [el('th', { text: 'name' }), el('th', { text: 'in' }), el('th', { text: 'schema' }), el('th', { text: 'value' })])]);
      op.parameters.forEach(function (p) {
        var input = el('input', { placeholder: p.required ? 'required' : '' });
        inputs[p.in + ':' + p.name] = input;
        table.appendChild(el('tr', {}, [
          el('td', { text: p.name + (p.required ? ' *' : '') }), el('td', { text: p.in }),
          el('td', {}, [el('code', { text: JSON.stringify(p.schema) })]), el('td', {}, [input]),
        ]));
      });
      body.appendChild(section('Parameters', table));
    }
    var bodyInput = null;
    var content = op.requestBody && op.requestBody.content;
    if (content && content['application/json']) {
      var schema = content['application/json'].schema;
      body.appendChild(section('Request body (JSON)', el('pre', { text: JSON.stringify(resolve(schema, 0), null, 2) })));
      bodyInput = el('textarea', {});
      bodyInput.value = JSON.stringify(example(schema, 0), null, 2);
    } else if (content) {
      body.appendChild(section('Request body', el('p', { text: Object.keys(content).join(', ') + ' — ' + (op.requestBody.description || '') })));
    }
    var responses = el('div');
    Object.keys(op.responses || {}).forEach(function (status) {
      var r = op.responses[status];
      var c = r.content && Object.keys(r.content)[0];
      var d = el('details', {}, [el('summary', { text: status + ' — ' + r.description + (c ? ' (' + c + ')' : '') })]);
      if (c && r.content[c].schema && Object.keys(r.content[c].schema).length) d.appendChild(el('pre', { text: JSON.stringify(resolve(r.content[c].schema, 0), null, 2) }));
      responses.appendChild(d);
    });
    body.appendChild(section('Responses', responses));

    if (method !== 'options' && !(content && !content['application/json'])) {
      var out = el('pre', { text: '' });
      var button = el('button', { type: 'button', text: 'Send' });
      if (bodyInput) body.appendChild(bodyInput);
      body.appendChild(el('p', {}, [button]));
      body.appendChild(out);
      button.addEventListener('click', async function () {
        var url = path, query = new URLSearchParams(), headers = {};
        Object.keys(inputs).forEach(function (key) {
          var where = key.split(':')[0], name = key.slice(where.length + 1), value = inputs[key].value;
          if (where === 'path') url = url.replace('{' + name + '}', encodeURIComponent(value).replace(/%2F/g, '/'));
          else if (where === 'query' && value !== '') query.set(name, value);
          else if (where === 'header' && value !== '') headers[name] = value;
        });
        if (tokenInput.value.trim()) headers.authorization = 'Bearer ' + tokenInput.value.trim();
        var init = { method: method.toUpperCase(), headers: headers };
        if (bodyInput && bodyInput.value.trim()) { headers['content-type'] = 'application/json'; init.body = bodyInput.value; }
        out.textContent = '…';
        try {
          var res = await fetch(url + (query.toString() ? '?' + query : ''), init);
          var text = await res.text();
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
          out.textContent = res.status + ' ' + res.statusText + '\\n' + text.slice(0, 20000);
          if (res.ok && /\\/auth\\/(login|signup)$/.test(path)) {
            try { tokenInput.value = JSON.parse(text).token; tokenInput.dispatchEvent(new Event('change')); } catch (e) {}
          }
        } catch (err) { out.textContent = String(err); }
      });
    }

    var security = op.security && op.security.length ? (op.security.some(function (s) { return Object.keys(s).length === 0; }) ? 'token optional' : 'token required') : '';
    return el('details', { class: 'op' }, [
      el('summary', {}, [el('span', { class: 'method ' + method.toUpperCase(), text: method.toUpperCase() }), el('span', { class: 'path', text: path }),
        el('span', { text: op.summary || '' }), security ? el('span', { class: 'lock', text: security }) : null]),
      body,
    ]);
  }

  main.textContent = '';
  main.appendChild(el('p', { text: doc.info.description || '' }));
  (doc.tags || []).forEach(function (tag) {
    main.appendChild(el('h2', { text: tag.name }));
    main.appendChild(el('div', { class: 'tagdesc', text: tag.description || '' }));
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        if ((op.tags || [])[0] === tag.name) main.appendChild(operation(path, method, op));
      });
    });
  });
})().catch(function (err) { document.getElementById('main').textContent = 'Could not load the API document: ' + err; });
`;
