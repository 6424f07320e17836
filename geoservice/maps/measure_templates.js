/* geoservice: leaflet-measure's templates without lodash.template (put in by assets.csp_safe_measure).
 * lodash compiles a template into a function with Function(), which a
 * Content-Security-Policy without 'unsafe-eval' refuses, so the bundle would fail
 * as it loads. Its five templates use only {{ path }}, {{ fn(path, digits) }}
 * and <% if (path > n) { %> ... <% } %>: interpreted here, anything else throws
 * when the bundle loads (a newer leaflet-measure must be looked at again).
 * Values are written as they are, as lodash's {{ }} does: they are the control's
 * own numbers, class names and coordinates (with &deg;), never data. */
var gsmapsMeasureTemplate = (function () {
  "use strict";
  var PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
  var CALL = /^([A-Za-z_$][\w$]*)\(\s*([\w$.]+)\s*,\s*(-?\d+)\s*\)$/;
  var IF = /^if\s*\(\s*([\w$.]+)\s*(>=|<=|>|<|===|!==)\s*(-?\d+(?:\.\d+)?)\s*\)\s*\{$/;
  var TESTS = {
    ">": function (a, b) { return a > b; },
    "<": function (a, b) { return a < b; },
    ">=": function (a, b) { return a >= b; },
    "<=": function (a, b) { return a <= b; },
    "===": function (a, b) { return a === b; },
    "!==": function (a, b) { return a !== b; }
  };

  function show(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function lookup(path, data, imports) {
    var names = path.split(".");
    var value = names[0] in data ? data[names[0]] : imports[names[0]];
    for (var i = 1; i < names.length && value !== null && value !== undefined; i++) {
      value = value[names[i]];
    }
    return value;
  }

  function expression(source, imports) {
    var call;
    if (PATH.test(source)) {
      return function (data) { return lookup(source, data, imports); };
    }
    call = CALL.exec(source);
    if (call && typeof imports[call[1]] === "function") {
      return function (data) {
        return imports[call[1]](lookup(call[2], data, imports), Number(call[3]));
      };
    }
    throw new Error("leaflet-measure template: unsupported {{ " + source + " }}");
  }

  function parse(text, imports) {
    var root = [], stack = [root];
    text.split(/(\{\{[\s\S]+?\}\}|<%[\s\S]+?%>)/).forEach(function (part) {
      var top = stack[stack.length - 1], code, test, node;
      if (part.slice(0, 2) === "{{") {
        top.push({value: expression(part.slice(2, -2).trim(), imports)});
      } else if (part.slice(0, 2) === "<%") {
        code = part.slice(2, -2).trim();
        if (code === "}") {
          if (stack.length < 2) throw new Error("leaflet-measure template: unmatched }");
          stack.pop();
          return;
        }
        test = IF.exec(code);
        if (!test) throw new Error("leaflet-measure template: unsupported <% " + code + " %>");
        node = {path: test[1], op: TESTS[test[2]], than: Number(test[3]), body: []};
        top.push(node);
        stack.push(node.body);
      } else if (part) {
        top.push({text: part});
      }
    });
    if (stack.length !== 1) throw new Error("leaflet-measure template: unclosed if");
    return root;
  }

  function render(nodes, data, imports) {
    return nodes.map(function (node) {
      if (node.text !== undefined) return node.text;
      if (node.value) return show(node.value(data));
      return node.op(lookup(node.path, data, imports), node.than)
        ? render(node.body, data, imports) : "";
    }).join("");
  }

  return function (text, settings) {
    var imports = (settings && settings.imports) || {};
    var nodes = parse(text, imports);
    return function (data) { return render(nodes, data || {}, imports); };
  };
})();
