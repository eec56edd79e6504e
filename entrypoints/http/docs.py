"""An interactive API docs page that works offline.

Litestar's bundled UIs (Swagger, Redoc, Scalar, RapiDoc, Stoplight) load their JavaScript
and CSS from public CDNs, so they render nothing without network. This page is
self-contained: the OpenAPI document is inlined and a few lines of script let you set the
API key, fill parameters and a JSON body, and send the request from the browser.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

_FAVICON = (
    "<link rel='icon' href=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' "
    "viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='%23234'/></svg>\">"
)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ — API docs</title>__FAVICON__
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#223344;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header a{color:#9cf}main{max-width:1000px;margin:0 auto;padding:16px 24px}
.key{margin:12px 0}.key input{width:420px;font-family:monospace}
details{background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:8px 0}
summary{padding:8px 12px;cursor:pointer}.m{display:inline-block;width:64px;font-weight:700}
.get{color:#17803d}.post{color:#1a5fb4}.patch{color:#a15c00}.delete{color:#c01c28}
.op{padding:0 14px 14px}code,pre,textarea,input{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f0f2f5;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap}
textarea{width:100%;min-height:120px}label{display:block;margin:4px 0}
label input{width:260px}h2{font-size:16px;margin:22px 0 6px;text-transform:capitalize}
button{padding:4px 14px}.resp{margin-top:8px}.muted{color:#667}
</style></head><body>
<header><h1>__TITLE__ <span class="muted">v__VERSION__</span></h1>
<div>OpenAPI document: <a href="__JSON__">__JSON__</a></div></header>
<main>
<p>__DESCRIPTION__</p>
<div class="key">API key: <input id="key" placeholder="kc_..." autocomplete="off">
<span class="muted">sent as <code>Authorization: Bearer</code>, kept in this browser</span></div>
<div id="ops"></div>
</main>
<script id="spec" type="application/json">__SPEC__</script>
<script>
"use strict";
const spec = JSON.parse(document.getElementById("spec").textContent);
const keyBox = document.getElementById("key");
keyBox.value = localStorage.getItem("kata-key") || "";
keyBox.oninput = () => localStorage.setItem("kata-key", keyBox.value);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  });
  kids.forEach(k => e.append(k));
  return e;
}
function deref(s) {
  while (s && s.$ref) s = s.$ref.split("/").slice(1).reduce((o, p) => o[p], spec);
  return s || {};
}
function example(s, depth) {
  s = deref(s);
  if (depth > 4) return null;
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  const alts = s.oneOf || s.anyOf;
  if (alts) return example(alts.find(x => deref(x).type !== "null"), depth + 1);
  if (s.enum) return s.enum[0];
  const t = Array.isArray(s.type) ? s.type.find(x => x !== "null") : s.type;
  if (t === "object") {
    const o = {};
    Object.entries(s.properties || {}).forEach(([k, v]) => {
      if ((s.required || []).includes(k)) o[k] = example(v, depth + 1);
    });
    return o;
  }
  if (t === "array") return [example(s.items, depth + 1)];
  if (t === "integer" || t === "number") return s.minimum || 0;
  if (t === "boolean") return false;
  return t === "string" ? "" : null;
}
function operation(path, method, op) {
  const body = el("div", {class: "op"});
  if (op.description) body.append(el("p", {}, op.description));
  const inputs = {};
  (op.parameters || []).forEach(p => {
    if (p.in === "header" && p.name.toLowerCase() === "authorization") return;
    const i = el("input", {placeholder: p.in + (p.required ? ", required" : "")});
    inputs[p.name] = [p, i];
    body.append(el("label", {}, el("code", {}, p.name + " "), i));
  });
  let text = null;
  const rb = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (rb) {
    text = el("textarea", {});
    text.value = JSON.stringify(example(rb.schema, 0), null, 2);
    body.append(el("div", {}, "JSON body:"), text);
  }
  const out = el("pre", {class: "resp"}, "");
  const send = el("button", {}, "Send");
  send.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    Object.values(inputs).forEach(([p, i]) => {
      if (!i.value) return;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(i.value));
      else if (p.in === "query") query.set(p.name, i.value);
      else if (p.in === "header") headers[p.name] = i.value;
    });
    if (keyBox.value) headers["Authorization"] = "Bearer " + keyBox.value;
    const init = {method: method.toUpperCase(), headers};
    if (text && text.value.trim()) {
      init.body = text.value;
      headers["Content-Type"] = "application/json";
    }
    const q = query.toString();
    try {
      const r = await fetch(url + (q ? "?" + q : ""), init);
      const t = await r.text();
      let shown = t;
      try { shown = JSON.stringify(JSON.parse(t), null, 2); } catch (e) {}
      const type = r.headers.get("content-type") || "";
      out.textContent = r.status + " " + r.statusText + "  (" + type + ")\\n" + shown;
    } catch (e) { out.textContent = String(e); }
  };
  body.append(send, out);
  const codes = Object.entries(op.responses || {})
    .map(([c, r]) => c + " " + (r.description || "")).join("\\n");
  body.append(el("details", {}, el("summary", {}, "Responses"), el("pre", {}, codes)));
  const head = el("summary", {}, el("span", {class: "m " + method}, method.toUpperCase()),
    el("code", {}, path), "  ", el("span", {class: "muted"}, op.summary || ""));
  return el("details", {}, head, body);
}
const groups = {};
Object.entries(spec.paths || {}).forEach(([path, item]) => {
  ["get", "post", "patch", "put", "delete"].forEach(m => {
    if (!item[m]) return;
    const tag = (item[m].tags || ["other"])[0];
    (groups[tag] = groups[tag] || []).push(operation(path, m, item[m]));
  });
});
const ops = document.getElementById("ops");
Object.entries(groups).forEach(([tag, list]) => { ops.append(el("h2", {}, tag), ...list); });
</script></body></html>
"""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class OfflineDocsPlugin(OpenAPIRenderPlugin):
    """Serves the self-contained docs page (no CDN, no fonts, no network)."""

    def __init__(self, *, path: str | list[str] = "/docs") -> None:
        super().__init__(path=path, favicon=_FAVICON)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The HTML page with the OpenAPI document inlined."""
        spec = self.render_json(request, openapi_schema).decode("utf-8")
        # Inside <script>, only "</" can end the element early; escape it.
        spec = spec.replace("</", "<\\/")
        info = openapi_schema.get("info", {})
        page = (
            _PAGE.replace("__FAVICON__", _FAVICON)
            .replace("__TITLE__", _escape(str(info.get("title", "API"))))
            .replace("__VERSION__", _escape(str(info.get("version", ""))))
            .replace("__DESCRIPTION__", _escape(str(info.get("description", ""))))
            .replace("__JSON__", _escape(self.get_openapi_json_route(request)))
            .replace("__SPEC__", spec)
        )
        return page.encode("utf-8")
