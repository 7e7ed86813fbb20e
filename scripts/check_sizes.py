#!/usr/bin/env python3
"""Reports the project's C++ files over 500 lines and functions over 80 lines.

Usage: python3 scripts/check_sizes.py [DIR ...]   (default: every source dir)
DIRs are relative to the repository root: base crypto vault api client ops tests bench.
Prints each violation and a summary; exits 1 if there is any, else 0.
Build folders (build*, cmake-build-*) and generated code are not scanned.

Heuristic (no compiler; good enough for this codebase's style):
  * Files: *.cc, *.cpp, *.h, *.hpp. A file's size is its physical line count.
  * Comments, string and character literals (raw strings included) and
    preprocessor lines are blanked first, keeping the line breaks, so their
    braces do not count.
  * Braces are matched with a stack. For each '{', the "header" is the text
    since the previous ';', '{' or '}' at the same level. The block is:
      - a namespace / class / struct / union / enum / extern "C" scope when
        the header starts with that keyword (after any template<...>);
      - a function definition when it is not nested in another function and
        its header, with trailing qualifiers (const, noexcept, override,
        final, mutable, &, &&, -> type, an initializer list) taken off, ends
        with ')' and does not start with a control keyword (if, for, while,
        switch, catch). This also catches gtest's TEST(...) { } bodies and
        lambdas defined at namespace scope;
      - anything else (initializer lists, blocks inside functions).
  * A function's length runs from the line of its opening '{' to the line of
    its matching '}', both included. Lambdas and local classes inside a
    function count towards the enclosing function.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIRS = ["base", "crypto", "vault", "api", "client", "ops", "tests", "bench"]
EXTENSIONS = (".cc", ".cpp", ".h", ".hpp")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80

SCOPE_RE = re.compile(r"^(template\s*<.*>\s*)?(inline\s+)?(namespace|class|struct|union|enum|extern)\b",
                      re.S)
CONTROL_RE = re.compile(r"^(if|for|while|switch|catch|do|else|try|return)\b")
QUALIFIERS_RE = re.compile(r"(\s*(const|noexcept(\s*\(.*?\))?|override|final|mutable|&&|&|"
                           r"->\s*[\w:<>,\s*&]+))*\s*$", re.S)


def blank(text):
    """Returns text with comments, literals and preprocessor lines blanked."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its backslash continuations.
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                out.append("\n" if text[i] == "\n" else " ")
                i += 1
            continue
        if c == "\n":
            at_line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^()\\\s]{0,16})\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(" ")  # digit separator, e.g. 1'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j + 1, n) - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def is_function_header(header):
    h = " ".join(header.split())
    if not h or CONTROL_RE.match(h) or SCOPE_RE.match(h) or "=" in h.split("(")[0]:
        return False
    # Drop a constructor's initializer list: the text after a ") :" at depth 0.
    m = re.search(r"\)\s*:(?!:)", h)
    if m:
        h = h[: m.start() + 1]
    h = QUALIFIERS_RE.sub("", h)
    return h.endswith(")")


def functions(text):
    """Yields (name, first_line, line_count) for each function definition."""
    stack = []  # entries: (kind, open_line, header)
    header_start = 0
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            header = text[header_start:i]
            in_function = any(kind == "function" for kind, _, _ in stack)
            if in_function:
                kind = "block"
            elif SCOPE_RE.match(" ".join(header.split())):
                kind = "scope"
            elif is_function_header(header):
                kind = "function"
            else:
                kind = "block"
            stack.append((kind, line, header))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, open_line, header = stack.pop()
                if kind == "function" and not any(k == "function" for k, _, _ in stack):
                    name = " ".join(header.split())
                    yield name[:100], open_line, line - open_line + 1
            header_start = i + 1
        elif c == ";":
            header_start = i + 1


def source_files(directory):
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith("build") and not d.startswith("cmake-build")
                             and not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(EXTENSIONS):
                yield os.path.join(dirpath, f)


def main(argv):
    dirs = argv[1:] or DEFAULT_DIRS
    big_files, long_functions = [], []
    for d in dirs:
        full = os.path.join(ROOT, d)
        if not os.path.isdir(full):
            print(f"check_sizes: no such directory: {d}", file=sys.stderr)
            return 2
        for path in source_files(full):
            rel = os.path.relpath(path, ROOT)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            if lines > MAX_FILE_LINES:
                big_files.append((rel, lines))
            for name, first, count in functions(blank(text)):
                if count > MAX_FUNCTION_LINES:
                    long_functions.append((rel, first, count, name))
    for rel, lines in big_files:
        print(f"{rel}: {lines} lines (file limit {MAX_FILE_LINES})")
    for rel, first, count, name in long_functions:
        print(f"{rel}:{first}: {count} lines (function limit {MAX_FUNCTION_LINES}): {name}")
    print(f"check_sizes ({' '.join(dirs)}): {len(big_files)} files over {MAX_FILE_LINES} lines, "
          f"{len(long_functions)} functions over {MAX_FUNCTION_LINES} lines")
    return 1 if big_files or long_functions else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
