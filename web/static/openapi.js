// The OpenAPI document as a page: every operation with its parameters and answers, and a
// form that calls a GET operation on this server and shows what it answered.
(function () {
  "use strict";
  const root = document.getElementById("gm-openapi");
  if (!root) return;

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  function tryForm(path, op) {
    const form = el("form", null, { class: "gm-try" });
    const inputs = {};
    (op.parameters || []).forEach((p) => {
      const label = el("label", `${p.name} (${p.in}) `);
      const input = el("input", null, { name: p.name, required: p.required ? "" : null });
      if (!p.required) input.removeAttribute("required");
      inputs[p.name] = [p, input];
      label.appendChild(input);
      form.appendChild(label);
    });
    const out = el("pre");
    form.appendChild(el("button", root.dataset.try, { type: "submit" }));
    form.appendChild(out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let url = path;
      const query = new URLSearchParams();
      Object.values(inputs).forEach(([p, input]) => {
        if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(input.value));
        else if (input.value !== "") query.set(p.name, input.value);
      });
      const qs = query.toString();
      const answer = await fetch(url + (qs ? `?${qs}` : ""), { headers: { Accept: "application/json" } });
      out.textContent = `${answer.status}\n${(await answer.text()).slice(0, 5000)}`;
    });
    return form;
  }

  fetch(root.dataset.url)
    .then((r) => r.json())
    .then((doc) => {
      Object.entries(doc.paths).forEach(([path, item]) => {
        Object.entries(item).forEach(([method, op]) => {
          const section = el("section", null, { class: "gm-operation" });
          section.appendChild(el("h2", `${method.toUpperCase()} ${path}`));
          section.appendChild(el("p", op.summary));
          const table = el("table", null, { class: "gm-table" });
          (op.parameters || []).forEach((p) => {
            const row = el("tr");
            row.appendChild(el("td", p.name));
            row.appendChild(el("td", p.in));
            row.appendChild(el("td", JSON.stringify(p.schema)));
            row.appendChild(el("td", p.description || ""));
            table.appendChild(row);
          });
          section.appendChild(table);
          section.appendChild(el("p", `→ ${Object.keys(op.responses).join(", ")}`));
          if (method === "get") section.appendChild(tryForm(path, op));
          root.appendChild(section);
        });
      });
    });
})();
