#!/usr/bin/env python3
"""Writes the field lists that tests/integration checks rendered kubeadm and kubelet configs against.

Each list names every field path a kind of the API version accepts, one per line, derived from the
json tags of the Go types in a Kubernetes source tree:

    InitConfiguration.nodeRegistration.kubeletExtraArgs[].name
    ClusterConfiguration.featureGates.*

`[]` stands for the items of a list, `*` for any key of a map; every prefix of a path is listed
too, so a reader can check each YAML node on its own. The first line records where the list came
from.

Regenerate (from the repository root, with a Kubernetes checkout at the release you target):

    git -C ~/src/kubernetes checkout v1.31.14
    tests/data/kubeadm/make_fields.py --kubernetes ~/src/kubernetes --source "v1.31.14 (commit ...)"

and review the diff. The tree only needs the packages the types use: cmd/kubeadm/app/apis and
staging/src/k8s.io/{api,apimachinery,component-base,kubelet}.

How Go's encoding/json (which sigs.k8s.io/yaml uses) is mirrored: a field tagged `json:"-"` or
unexported is skipped; an embedded struct without a tag name is flattened into its parent; a field
without a tag name keeps its Go name; a type with an UnmarshalJSON method (metav1.Duration,
metav1.Time, resource.Quantity, ...) or without any serialised field is a scalar.
"""

import argparse
import pathlib
import re
import sys

OUTPUTS = [
    ("kubeadm.k8s.io/v1beta3", "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta3",
     "tests/data/kubeadm/v1beta3.fields"),
    ("kubeadm.k8s.io/v1beta4", "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4",
     "tests/data/kubeadm/v1beta4.fields"),
    ("kubelet.config.k8s.io/v1beta1", "k8s.io/kubelet/config/v1beta1",
     "tests/data/kubelet/v1beta1.fields"),
]

TYPE_META = ("k8s.io/apimachinery/pkg/apis/meta/v1", "TypeMeta")
BUILTINS = {"bool", "string", "byte", "rune", "int", "int8", "int16", "int32", "int64", "uint",
            "uint8", "uint16", "uint32", "uint64", "uintptr", "float32", "float64", "complex64",
            "complex128", "error"}
SCALAR = ("scalar",)
ANYTHING = ("any",)

# Comments are dropped; string, raw string and rune literals are kept as they are, so that a "//"
# inside a URL or a tag is not taken for a comment.
LEXEMES = re.compile(r'"(?:\\.|[^"\\\n])*"|`[^`]*`|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/',
                     re.DOTALL)
UNMARSHALER = re.compile(r"^func\s*\(\s*\w*\s*\*?\s*(\w+)\s*\)\s*UnmarshalJSON\s*\(", re.MULTILINE)
IMPORT_LINE = re.compile(r'^\s*(?:(\w+|\.|_)\s+)?"([^"]+)"\s*$')


def strip_comments(text):
    return LEXEMES.sub(lambda m: "" if m.group(0)[0] == "/" else m.group(0), text)


def matching(text, open_at, opener, closer):
    """Index just past the bracket that closes the one at open_at."""
    depth, index = 0, open_at
    while index < len(text):
        if text[index] in "`\"":  # a tag or a string may hold brackets
            index = text.index(text[index], index + 1)
        elif text[index] == opener:
            depth += 1
        elif text[index] == closer:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError("unbalanced %s%s" % (opener, closer))


def parse_imports(text):
    aliases = {}
    block = re.search(r"^import\s*\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    lines = block.group(1).splitlines() if block else []
    lines += re.findall(r'^import\s+((?:\w+\s+)?"[^"]+")', text, re.MULTILINE)
    for line in lines:
        found = IMPORT_LINE.match(line)
        if found:
            path = found.group(2)
            aliases[found.group(1) or path.rsplit("/", 1)[-1]] = path
    return aliases


class Package:
    """The type declarations of one Go package, with each field type resolved to (path, name)."""

    def __init__(self, import_path, directory):
        self.path = import_path
        self.types = {}
        self.unmarshalers = set()
        for source in sorted(directory.glob("*.go")):
            if source.name.endswith("_test.go") or source.name.startswith("zz_generated"):
                continue
            if source.name.endswith(".pb.go"):
                continue
            text = strip_comments(source.read_text())
            self.unmarshalers.update(UNMARSHALER.findall(text))
            self._parse_declarations(text, parse_imports(text))

    def _parse_declarations(self, text, aliases):
        for found in re.finditer(r"^type\s*(\()?", text, re.MULTILINE):
            if found.group(1):
                end = matching(text, found.end() - 1, "(", ")")
                self._parse_specs(text[found.end():end - 1], aliases)
            else:
                line_end = text.find("\n", found.end())
                rest = text[found.end():]
                if re.match(r"\w+(\[[^\]]*\])?\s*=?\s*struct\s*{", rest):
                    line_end = matching(text, text.index("{", found.end()), "{", "}")
                self._parse_specs(text[found.end():line_end], aliases)

    def _parse_specs(self, specs, aliases):
        spec = re.compile(r"\s*(\w+)(?:\[[^\]]*\])?[ \t]*=?[ \t]*")
        position = 0
        while (found := spec.match(specs, position)) and found.end() < len(specs):
            start = found.end()
            if specs.startswith("struct", start):
                end = matching(specs, specs.index("{", start), "{", "}")
            else:
                end = specs.find("\n", start)
                end = len(specs) if end < 0 else end
            if specs[start:end].strip():
                self.types[found.group(1)] = self.parse_type(specs[start:end], aliases)
            position = end

    def parse_type(self, expression, aliases):
        expression = expression.strip()
        if expression.startswith("*"):
            return self.parse_type(expression[1:], aliases)
        if expression.startswith("["):
            return ("list", self.parse_type(expression[expression.index("]") + 1:], aliases))
        if expression.startswith("map["):
            end = matching(expression, 3, "[", "]")
            return ("map", self.parse_type(expression[end:], aliases))
        if expression.startswith("struct"):
            body = expression[expression.index("{") + 1:expression.rindex("}")]
            return ("struct", self.parse_fields(body, aliases))
        if expression.startswith(("interface", "any")):
            return ANYTHING
        if expression.startswith(("func", "chan")):
            return SCALAR
        name = re.match(r"[\w.]+", expression).group(0)
        if "." in name:
            qualifier, name = name.split(".", 1)
            import_path = aliases.get(qualifier)
            return ("named", import_path, name) if import_path else SCALAR
        return SCALAR if name in BUILTINS else ("named", self.path, name)

    def parse_fields(self, body, aliases):
        fields, depth, start = [], 0, 0
        for index, char in enumerate(body + "\n"):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char in "\n;" and depth == 0:
                field = self.parse_field(body[start:index], aliases)
                if field:
                    fields.append(field)
                start = index + 1
        return fields

    def parse_field(self, line, aliases):
        tag = re.search(r"`([^`]*)`\s*$", line)
        line = line[:tag.start()] if tag else line
        line = line.strip()
        if not line:
            return None
        json_tag = re.search(r'json:"([^"]*)"', tag.group(1)) if tag else None
        options = json_tag.group(1).split(",") if json_tag else [""]
        if re.fullmatch(r"\*?[\w.]+", line):
            go_name = line.lstrip("*").rsplit(".", 1)[-1]
            return {"names": [go_name], "embedded": True, "json": options[0],
                    "type": self.parse_type(line, aliases)}
        names, expression = re.match(r"(\w+(?:\s*,\s*\w+)*)\s+(.*)", line, re.DOTALL).groups()
        return {"names": [n.strip() for n in names.split(",")], "embedded": False,
                "json": options[0], "type": self.parse_type(expression, aliases)}


class Universe:
    """Every package a Kubernetes tree holds, loaded on first use."""

    def __init__(self, root):
        self.root = root
        self.packages = {}

    def package(self, import_path):
        if import_path not in self.packages:
            directory = self.directory(import_path)
            self.packages[import_path] = Package(import_path, directory) if directory else None
        return self.packages[import_path]

    def directory(self, import_path):
        if import_path.startswith("k8s.io/kubernetes/"):
            directory = self.root / import_path[len("k8s.io/kubernetes/"):]
        elif import_path.startswith("k8s.io/"):
            directory = self.root / "staging/src" / import_path
        else:
            return None  # the standard library and third parties hold no API types
        if not directory.is_dir():
            print("warning: %s is not in the tree; its types count as scalars" % import_path,
                  file=sys.stderr)
            return None
        return directory

    def resolve(self, kind):
        """Follows named types to a list, map, struct or scalar; custom unmarshalers are scalars."""
        while kind[0] == "named":
            package = self.package(kind[1])
            if package is None or kind[2] not in package.types:
                return SCALAR
            if self.unmarshals_itself(package, kind[2]):
                return SCALAR
            kind = package.types[kind[2]]
        return kind

    def unmarshals_itself(self, package, name):
        if name in package.unmarshalers:
            return True
        declared = package.types.get(name)
        if not declared or declared[0] != "struct":
            return False
        embedded = [f for f in declared[1] if f["embedded"] and not f["json"]]
        return any(f["type"][0] == "named" and self.package(f["type"][1]) and
                   self.unmarshals_itself(self.package(f["type"][1]), f["type"][2])
                   for f in embedded)

    def keys(self, struct_kind):
        """(json key, field type) of a struct as encoding/json writes it, embedded ones flattened."""
        for field in struct_kind[1]:
            if field["json"] == "-":
                continue
            if field["embedded"] and not field["json"]:
                inner = self.resolve(field["type"])
                if inner[0] == "struct":
                    yield from self.keys(inner)
                continue
            for go_name in field["names"]:
                if go_name[0].isupper():
                    yield field["json"] or go_name, field["type"]

    def paths(self, prefix, kind, seen=()):
        kind = self.resolve(kind)
        if kind == ANYTHING or id(kind) in seen:
            yield prefix + ".**"
        elif kind[0] == "list":
            yield prefix + "[]"
            yield from self.paths(prefix + "[]", kind[1], seen)
        elif kind[0] == "map":
            yield prefix + ".*"
            yield from self.paths(prefix + ".*", kind[1], seen)
        elif kind[0] == "struct":
            for key, field_kind in self.keys(kind):
                yield prefix + "." + key
                yield from self.paths(prefix + "." + key, field_kind, seen + (id(kind),))

    def kinds(self, import_path):
        """Structs that embed metav1.TypeMeta: the kinds a document of this API version can be."""
        package = self.package(import_path)
        for name, kind in sorted(package.types.items()):
            if kind[0] == "struct" and any(
                    f["embedded"] and f["type"][1:] == TYPE_META for f in kind[1]):
                yield name, kind


def field_list(universe, api_version, import_path, source):
    lines = {}
    for name, kind in universe.kinds(import_path):
        lines[name] = None
        for path in universe.paths(name, kind):
            lines[path] = None
    header = "# %s fields from Kubernetes %s; generated by tests/data/kubeadm/make_fields.py" % (
        api_version, source)
    return "\n".join([header] + sorted(lines)) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubernetes", required=True, type=pathlib.Path,
                        help="a kubernetes/kubernetes checkout at the release to describe")
    parser.add_argument("--source", required=True,
                        help='what the checkout is, for the header, e.g. "v1.31.14 (commit ...)"')
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[3],
                        help="the nkd repository root (default: the one holding this script)")
    arguments = parser.parse_args()
    universe = Universe(arguments.kubernetes)
    for api_version, import_path, target in OUTPUTS:
        if universe.package(import_path) is None:
            sys.exit("error: %s is not in %s" % (import_path, arguments.kubernetes))
        output = arguments.out / target
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(field_list(universe, api_version, import_path, arguments.source))
        print("wrote %s" % output)


if __name__ == "__main__":
    main()
