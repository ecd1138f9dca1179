"""Language detection: file names, extensions, ambiguous extensions and shebangs."""

from __future__ import annotations

import pytest

from curate.code.language_table import HEURISTICS
from curate.code.languages import TABLE, detect_language, extension_candidates, interpreter_of


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "Python"),
        ("pkg/types.pyi", "Python"),
        ("web/app.js", "JavaScript"),
        ("web/app.mjs", "JavaScript"),
        ("web/App.jsx", "JavaScript"),
        ("web/app.ts", "TypeScript"),
        ("web/App.tsx", "TSX"),
        ("src/main.cpp", "C++"),
        ("src/main.cc", "C++"),
        ("src/lib.hpp", "C++"),
        ("src/main.c", "C"),
        ("Main.java", "Java"),
        ("main.go", "Go"),
        ("lib.rs", "Rust"),
        ("app.rb", "Ruby"),
        ("index.php", "PHP"),
        ("Program.cs", "C#"),
        ("main.kt", "Kotlin"),
        ("main.swift", "Swift"),
        ("run.sh", "Shell"),
        ("run.bash", "Shell"),
        ("script.ps1", "PowerShell"),
        ("README.md", "Markdown"),
        ("docs/index.rst", "reStructuredText"),
        ("data.json", "JSON"),
        ("DATA.JSON", "JSON"),
        ("config.yml", "YAML"),
        ("config.yaml", "YAML"),
        ("pyproject.toml", "TOML"),
        ("index.html", "HTML"),
        ("style.css", "CSS"),
        ("style.scss", "SCSS"),
        ("query.sql", "SQL"),
        ("App.vue", "Vue"),
        ("main.dart", "Dart"),
        ("Main.hs", "Haskell"),
        ("main.lua", "Lua"),
        ("analysis.R", "R"),
        ("build.gradle", "Gradle"),
        ("build.gradle.kts", "Gradle Kotlin DSL"),
        ("foo.cmake.in", "CMake"),
        ("api.proto", "Protocol Buffer"),
        ("main.tf", "HCL"),
        ("notes.txt", "Text"),
        ("kernel.cu", "Cuda"),
        ("notebook.ipynb", "Jupyter Notebook"),
    ],
)
def test_by_extension(path, language):
    assert detect_language(path) == language


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("Makefile", "Makefile"),
        ("sub/GNUmakefile", "Makefile"),
        ("Dockerfile", "Dockerfile"),
        ("docker/Dockerfile", "Dockerfile"),
        ("CMakeLists.txt", "CMake"),
        ("src/CMakeLists.txt", "CMake"),
        (".bashrc", "Shell"),
        (".zshrc", "Shell"),
        ("Gemfile", "Ruby"),
        ("Rakefile", "Ruby"),
        ("Jenkinsfile", "Groovy"),
        ("BUILD.bazel", "Starlark"),
        ("go.mod", "Go Module"),
        ("tsconfig.json", "JSON with Comments"),
        ("requirements.txt", "Pip Requirements"),
        (".gitignore", "Ignore List"),
        (".editorconfig", "EditorConfig"),
        ("LICENSE", "Text"),
        ("meson.build", "Meson"),
    ],
)
def test_by_filename(path, language):
    assert detect_language(path) == language


@pytest.mark.parametrize(
    ("head", "language"),
    [
        (b"#!/usr/bin/env python3\nprint(1)\n", "Python"),
        (b"#!/usr/bin/python3.11 -u\n", "Python"),
        (b"#!/bin/bash\nset -e\n", "Shell"),
        (b"#!/bin/sh\n", "Shell"),
        (b"#! /usr/bin/env node\n", "JavaScript"),
        (b"#!/usr/bin/env -S deno run --allow-read\n", "TypeScript"),
        (b"#!/usr/bin/env ruby\n", "Ruby"),
        (b"#!/usr/bin/perl -w\n", "Perl"),
        (b"#!/usr/bin/env Rscript\n", "R"),
        (b"#!/usr/bin/env FOO=1 python\n", "Python"),
        (b"plain text, no shebang\n", None),
        (b"#!/usr/bin/env unknown-interpreter\n", None),
    ],
)
def test_shebang_for_extensionless_scripts(head, language):
    assert detect_language("bin/tool", head) == language


def test_extension_beats_shebang():
    assert detect_language("setup.sh", b"#!/usr/bin/env python\n") == "Shell"


@pytest.mark.parametrize(
    ("head", "language"),
    [
        (b"#ifndef A_H\n#define A_H\nint add(int a, int b);\n#endif\n", "C"),
        (b"#pragma once\n#include <vector>\nint f(std::vector<int> v);\n", "C++"),
        (b"namespace foo {\nint f();\n}\n", "C++"),
        (b"template <typename T>\nT id(T x) { return x; }\n", "C++"),
        (b"class Widget {\npublic:\n  int x;\n};\n", "C++"),
        (b"#import <Foundation/Foundation.h>\n@interface Foo : NSObject\n@end\n", "Objective-C"),
        (b"", "C"),
    ],
)
def test_ambiguous_h(head, language):
    assert detect_language("include/a.h", head) == language


@pytest.mark.parametrize(
    ("path", "head", "language"),
    [
        ("a.m", b"#import <UIKit/UIKit.h>\n@implementation X\n@end\n", "Objective-C"),
        ("a.m", b"% compute\nfunction y = f(x)\n  y = x;\nend\n", "MATLAB"),
        ("a.pl", b"use strict;\nmy $x = 1;\n", "Perl"),
        ("a.pl", b"parent(tom, bob).\nancestor(X, Y) :- parent(X, Y).\n", "Prolog"),
        ("a.v", b"module top(input a);\n  always @(posedge clk) begin end\nendmodule\n", "Verilog"),
        ("a.v", b"Theorem t : True.\nProof. trivial. Qed.\n", "Coq"),
        ("a.ts", b'<?xml version="1.0"?>\n<TS version="2.1">\n', "XML"),
        ("a.ts", b"export const x: number = 1;\n", "TypeScript"),
        ("a.fs", b"module Main\nlet x = 1\n", "F#"),
        ("a.fs", b"#version 330\nout vec4 color;\n", "GLSL"),
    ],
)
def test_other_ambiguous_extensions(path, head, language):
    assert detect_language(path, head) == language


def test_unknown():
    assert detect_language("data.unknownext") is None
    assert detect_language("NOTES") is None


def test_extension_candidates_longest_first():
    assert extension_candidates("foo.cmake.in") == [".cmake.in", ".in"]
    assert extension_candidates(".bashrc") == [".bashrc"]
    assert extension_candidates("Makefile") == []


def test_interpreter_of():
    assert interpreter_of(b"#!/usr/bin/env python3.12\n") == "python"
    assert interpreter_of(b"#!/usr/bin/env python3\n") == "python3"
    assert interpreter_of(b"#!/usr/local/bin/pypy3\n") == "pypy3"
    assert interpreter_of(b"#!/usr/bin/env -S\n") is None
    assert interpreter_of(b"print(1)\n") is None


def test_table_is_data():
    """About 150+ languages; every ambiguous extension has heuristics deciding it."""
    assert len(TABLE.names) >= 150
    assert len(set(TABLE.names)) == len(TABLE.names)
    ambiguous = {ext for ext, langs in TABLE.by_extension.items() if len(langs) > 1}
    assert ambiguous <= set(HEURISTICS)
    for rules in HEURISTICS.values():
        assert rules[-1][1] is None, "the last rule is the fallback"
