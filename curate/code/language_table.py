"""The language table: GitHub Linguist names with their extensions, file names and interpreters.

Modelled on Linguist's ``lib/linguist/languages.yml`` (about 150 of its most common
languages).  One line per language::

    Name | extensions | file names | interpreters

Fields are space separated; an indented line continues the one above.  An extension
listed for several languages is ambiguous: ``HEURISTICS`` (Linguist's ``heuristics.yml``
style) picks one from the file's first bytes, its last rule being the default.
"""

from __future__ import annotations

import re

LANGUAGES = r"""
ABAP | .abap | |
ActionScript | .as | |
Ada | .adb .ada .ads | |
Agda | .agda | |
ApacheConf | .apacheconf | .htaccess apache2.conf httpd.conf |
Apex | .cls .apex .trigger | |
AppleScript | .applescript .scpt | | osascript
Assembly | .asm .a51 .nasm | |
Astro | .astro | |
AutoHotkey | .ahk .ahkl | |
Awk | .awk .auk .gawk .mawk .nawk | | awk gawk mawk nawk
Batchfile | .bat .cmd | |
Bicep | .bicep | |
BibTeX | .bib .bibtex | |
BitBake | .bb .bbappend .bbclass | |
C | .c .h .cats .idc | | tcc
C# | .cs .cake .csx | |
C++ | .cpp .c++ .cc .cp .cxx .h .h++ .hh .hpp .hxx .inl .ino .ipp .ixx .tcc .tpp .cppm | |
CMake | .cmake .cmake.in | CMakeLists.txt |
COBOL | .cob .cbl .ccp .cobol .cpy | |
CSS | .css | |
CSV | .csv | |
Cairo | .cairo | |
Cap'n Proto | .capnp | |
Clojure | .clj .bb .boot .cl2 .cljc .cljs .cljs.hl .cljscm .cljx .edn .hic | riemann.config |
CoffeeScript | .coffee ._coffee .cjsx .iced | Cakefile | coffee
Common Lisp | .lisp .asd .cl .lsp .ny .podsl .sexp | | lisp sbcl ccl clisp ecl
Coq | .coq .v | |
Crystal | .cr | | crystal
Cuda | .cu .cuh | |
Cython | .pyx .pxd .pxi | |
D | .d .di | |
DTrace | .d | | dtrace
Dart | .dart | |
Dhall | .dhall | |
Diff | .diff .patch | |
Dockerfile | .dockerfile .containerfile | Containerfile Dockerfile |
Dotenv | .env | .env .env.ci .env.dev .env.development .env.example .env.local .env.prod
    .env.production .env.sample .env.staging .env.template .env.test .flaskenv |
EJS | .ejs .ect .jst | |
EditorConfig | .editorconfig | .editorconfig |
Elixir | .ex .exs | | elixir
Elm | .elm | |
Emacs Lisp | .el .emacs .emacs.desktop | .abbrev_defs .emacs .emacs.desktop .gnus .spacemacs .viper
    Cask Project.ede _emacs abbrev_defs |
Erlang | .erl .app.src .escript .hrl .xrl .yrl | Emakefile rebar.config | escript
F# | .fs .fsi .fsx | |
Fish | .fish | | fish
Forth | .fth .4th .forth .frt | |
Fortran | .f .f77 .for .fpp | |
Fortran Free Form | .f90 .f03 .f08 .f95 | |
GLSL | .glsl .frag .fsh .geom .vert .comp .tesc .tese .rchit .rmiss | |
Gettext Catalog | .po .pot | |
Gherkin | .feature .story | |
Git Attributes | .gitattributes | .gitattributes |
Git Config | .gitconfig | .gitconfig .gitmodules |
Gleam | .gleam | |
Go | .go | |
Go Checksums | | go.sum go.work.sum |
Go Module | | go.mod |
Go Workspace | | go.work |
Gradle | .gradle | |
Gradle Kotlin DSL | .gradle.kts | |
GraphQL | .graphql .gql .graphqls | |
Graphviz (DOT) | .dot .gv | |
Groovy | .groovy .grt .gtpl .gvy | Jenkinsfile | groovy
HCL | .hcl .nomad .tf .tfvars .workflow | |
HLSL | .hlsl .cginc .fx .fxh .hlsli | |
HTML | .html .hta .htm .html.hl .xht .xhtml | |
HTML+ERB | .erb .erb.deface .rhtml | |
HTML+Razor | .cshtml .razor | |
Hack | .hack .hhi | |
Haml | .haml .haml.deface | |
Handlebars | .handlebars .hbs | |
Haskell | .hs .hs-boot .hsc | | runghc runhaskell runhugs
Haxe | .hx .hxsl | |
INI | .ini .cfg .cnf .dof .prefs .url | .coveragerc .flake8 .pylintrc buildozer.spec pylintrc vlcrc
    |
Idris | .idr .lidr | |
Ignore List | .gitignore | .atomignore .babelignore .bzrignore .coffeelintignore .cvsignore
    .dockerignore .eleventyignore .eslintignore .gitignore .hgignore .markdownlintignore
    .nodemonignore .npmignore .prettierignore .stylelintignore .vercelignore .vscodeignore
    gitignore-global gitignore_global |
JSON | .json .4DForm .4DProject .avsc .geojson .gltf .har .ice .JSON-tmLanguage .mcmeta .tfstate
    .tfstate.backup .topojson .webapp .webmanifest .yy .yyp | .all-contributorsrc .arcconfig
    .auto-changelog .c8rc .htmlhintrc .imgbotconfig .nycrc .tern-config .tern-project
    .watchmanconfig MODULE.bazel.lock Pipfile.lock composer.lock deno.lock flake.lock mcmod.info |
JSON with Comments | .jsonc .code-snippets .code-workspace .sublime-build .sublime-commands
    .sublime-completions .sublime-keymap .sublime-macro .sublime-menu .sublime-mousemap
    .sublime-project .sublime-settings .sublime-theme .sublime-workspace .sublime_metrics
    .sublime_session | .babelrc .devcontainer.json .eslintrc.json .jscsrc .jshintrc .jslintrc .swcrc
    api-extractor.json devcontainer.json jsconfig.json language-configuration.json tsconfig.json
    tslint.json |
JSON5 | .json5 | |
Java | .java .jav .jsh | |
Java Properties | .properties | |
Java Server Pages | .jsp .tag | |
JavaScript | .js ._js .bones .cjs .es6 .jake .javascript .jsb .jscad .jsfl .jslib .jsm .jspre .jss
    .jsx .mjs .njs .pac .sjs .ssjs .xsjs .xsjslib | Jakefile | chakra d8 gjs js node nodejs qjs
    rhino v8 v8-shell
Jinja | .jinja .j2 .jinja2 | |
Jsonnet | .jsonnet .libsonnet | |
Julia | .jl | | julia
Jupyter Notebook | .ipynb | |
Kotlin | .kt .ktm .kts | |
LLVM | .ll | |
Less | .less | |
Liquid | .liquid | |
Literate Haskell | .lhs | |
Lua | .lua .nse .p8 .pd_lua .rbxs .rockspec .wlua | .luacheckrc | lua
MATLAB | .matlab .m | |
MDX | .mdx | |
Makefile | .mak .make .makefile .mk .mkfile | BSDmakefile GNUmakefile Kbuild Makefile Makefile.am
    Makefile.boot Makefile.frag Makefile.in Makefile.inc Makefile.wat makefile makefile.sco mkfile |
    make
Markdown | .md .livemd .markdown .mdown .mdwn .mkd .mkdn .mkdown .ronn .scd .workbook | contents.lr
    |
Mathematica | .mathematica .wl .wlt .nb .nbp .ma .mt | |
Mermaid | .mmd .mermaid | |
Meson | | meson.build meson_options.txt meson.options |
Mojo | .mojo | |
Mustache | .mustache | |
Nginx | .nginx .nginxconf | nginx.conf |
Nim | .nim .nim.cfg .nimble .nimrod .nims | nim.cfg |
Ninja | .ninja | |
Nix | .nix | |
Nushell | .nu | | nu
OCaml | .ml .eliom .eliomi .ml4 .mli .mll .mly | | ocaml ocamlrun ocamlscript
Objective-C | .m .h | |
Objective-C++ | .mm | |
Odin | .odin | |
OpenCL | .cl .opencl | |
Org | .org | |
PHP | .php .aw .ctp .php3 .php4 .php5 .phps .phpt .phtml | .php .php_cs .php_cs.dist Phakefile | php
PLpgSQL | .pgsql | |
PLSQL | .pls .pck .pkb .pks .plb .plsql | |
Pascal | .pas .dfm .dpr .lpr .pascal .pp | | instantfpc
Perl | .pl .al .perl .ph .plx .pm .psgi .t | Makefile.PL Rexfile ack cpanfile | cperl perl
Pip Requirements | | requirements-dev.txt requirements.lock.txt requirements.txt |
PlantUML | .puml .iuml .plantuml | |
PowerShell | .ps1 .psd1 .psm1 | | pwsh
Prolog | .pl .plt .pro .prolog .yap | | swipl yap
Protocol Buffer | .proto | |
Pug | .pug .jade | |
Puppet | .pp | Modulefile |
PureScript | .purs | |
Python | .py .gyp .gypi .lmi .py3 .pyde .pyi .pyp .pyt .pyw .rpy .spec .tac .wsgi .xpy | .gclient
    DEPS SConscript SConstruct wscript | python python2 python3 py pypy pypy3 uv
QML | .qml .qbs | |
R | .r .rd .rsx | .Rprofile expr-dist | Rscript
RPM Spec | .spec | |
Racket | .rkt .rktd .rktl .scrbl | | racket
Raku | .raku .6pl .6pm .nqp .p6 .p6l .p6m .pl6 .pm6 .rakumod | | perl6 raku rakudo
Rebol | .reb .r2 .r3 .rebol | |
Roff | .roff .1 .1in .1m .1x .2 .3 .3in .3m .3p .3pm .3qt .3x .4 .5 .6 .7 .8 .9 .man .mdoc .me .nr
    .tmac | |
Ruby | .rb .builder .eye .gemspec .god .jbuilder .mspec .pluginspec .podspec .rabl .rake .rbi
    .rbuild .rbw .rbx .ru .ruby .thor .watchr | .irbrc .pryrc .simplecov Appraisals Berksfile
    Brewfile Buildfile Capfile Dangerfile Deliverfile Fastfile Gemfile Guardfile Jarfile Mavenfile
    Podfile Puppetfile Rakefile Snapfile Steepfile Thorfile Vagrantfile buildfile | jruby macruby
    rake rbx ruby
Rust | .rs .rs.in | | rust-script
SCSS | .scss | |
SQL | .sql .cql .ddl .mysql .prc .tab .udf .viw | |
SVG | .svg | |
Sass | .sass | |
Scala | .scala .kojo .sbt .sc | | scala
Scheme | .scm .sch .sld .sls .sps .ss | | scheme guile bigloo chicken csi gosh r6rs
Shell | .sh .bash .bats .command .ksh .sh.in .tmux .tool .zsh .zsh-theme | .bash_aliases
    .bash_functions .bash_logout .bash_profile .bashrc .cshrc .kshrc .login .profile .tmux.conf
    .zlogin .zlogout .zprofile .zshenv .zshrc 9fs PKGBUILD bash_aliases bash_logout bash_profile
    bashrc cshrc gradlew kshrc login man profile tmux.conf zlogin zlogout zprofile zshenv zshrc |
    ash bash dash ksh mksh pdksh rc sh zsh
Slim | .slim | |
Smalltalk | .st | |
Smarty | .tpl | |
Solidity | .sol | |
Standard ML | .sml .fun | |
Starlark | .bzl .star | BUCK BUILD BUILD.bazel MODULE.bazel Tiltfile WORKSPACE WORKSPACE.bazel
    WORKSPACE.bzlmod |
Stylus | .styl | |
Svelte | .svelte | |
Swift | .swift | |
SystemVerilog | .sv .svh .vh | |
TOML | .toml | Cargo.lock Gopkg.lock Pipfile pdm.lock poetry.lock uv.lock |
TSV | .tsv | |
TSX | .tsx | |
Tcl | .tcl .adp .sdc .tcl.in .tm .xdc | owh starfield | tclsh wish
TeX | .tex .aux .bbx .cbx .dtx .ins .lbx .ltx .mkii .mkiv .mkvi .sty .toc | |
Terraform Template | .tftpl | |
Text | .txt .fr .ncl .no | AUTHORS CHANGELOG CHANGES CONTRIBUTORS COPYING COPYRIGHT FONTLOG INSTALL
    LICENCE LICENSE NEWS README UNLICENSE click.me delete.me keep.me read.me readme.1st test.me |
Thrift | .thrift | |
Twig | .twig | |
TypeScript | .ts .cts .mts | | deno ts-node tsx
Unix Assembly | .s .ms | |
V | .v .vsh .vv | |
VBA | .bas .frm .frx .vba | |
VBScript | .vbs | |
VHDL | .vhdl .vhd .vhf .vhi .vho .vhs .vht .vhw | |
Verilog | .v .veo | |
Vim Script | .vim .vimrc .vmb | .exrc .gvimrc .nvimrc .vimrc _vimrc gvimrc nvimrc vimrc |
Visual Basic .NET | .vb .vbhtml | |
Vue | .vue | |
Vyper | .vy | |
WebAssembly | .wast .wat | |
XML | .xml .adml .admx .ant .axml .builds .ccproj .ccxml .clixml .cproject .cscfg .csdef .csproj .ct
    .depproj .dita .ditamap .ditaval .dll.config .dotsettings .filters .fsproj .fxml .glade .gmx
    .grxml .iml .ivy .jelly .jsproj .kml .launch .mdpolicy .mjml .mxml .natvis .ndproj .nproj
    .nuspec .odd .osm .pkgproj .plist .proj .props .ps1xml .psc1 .pt .qhelp .rdf .res .resx .rss
    .scxml .sfproj .shproj .srdf .storyboard .sublime-snippet .targets .tml .ui .urdf .ux .vbproj
    .vcxproj .vsixmanifest .vssettings .vstemplate .vxml .wixproj .wsdl .wsf .wxi .wxl .wxs .x3d
    .xacro .xaml .xib .xlf .xliff .xmi .xml.dist .xmp .xproj .xsd .xspec .xul .zcml | .classpath
    .cproject .project App.config NuGet.config Settings.StyleCop Web.Debug.config Web.Release.config
    Web.config build.xml packages.config pom.xml |
XSLT | .xslt .xsl | |
YAML | .yml .yaml .mir .reek .rviz .sublime-syntax .syntax .yaml-tmlanguage .yaml.sed .yml.mysql |
    .clang-format .clang-tidy .clangd .gemrc CITATION.cff glide.lock pixi.lock pnpm-lock.yaml
    yarn.lock |
Zig | .zig .zon | |
reStructuredText | .rst .rest .rest.txt .rst.txt | |
sed | .sed | | gsed minised sed ssed
"""

# Ambiguous extensions: ``extension -> [(language, pattern or None), ...]``, tried in
# order on the file's first bytes; a rule without a pattern is the fallback.  After
# Linguist's heuristics.yml (simplified).
_OBJC = (
    r"^\s*(?:@(?:interface|class|protocol|property|end|synchronised|selector|implementation)\b"
    r"|#import\s+.+\.h[\">])"
)
_CPP = (
    r"^\s*#\s*include\s*<(?:cstdint|cstdio|cstdlib|cstring|cmath|string|vector|map|set|list|array|bitset"
    r"|queue|deque|stack|memory|algorithm|functional|utility|tuple|optional|variant|chrono|thread|mutex"
    r"|atomic|forward_list|unordered_map|unordered_set|[io]?stream|iostream|sstream|fstream)>"
    r"|^\s*template\s*<|^[ \t]*(?:private|public|protected):\s*$|\bstd::\w+"
    r"|^\s*namespace\s+\w*\s*\{"
    r"|^\s*class\s+\w+\s*(?:final\s*)?[:{]|\bconstexpr\b|\bnullptr\b"
)
HEURISTIC_RULES: dict[str, list[tuple[str, str | None]]] = {
    ".h": [("Objective-C", _OBJC), ("C++", _CPP), ("C", None)],
    ".m": [
        ("Objective-C", _OBJC),
        ("Mathematica", r"\*\)\s*$|^\s*\(\*"),
        ("MATLAB", r"^\s*%|^\s*function\b.*=|\bend\s*$"),
        ("Objective-C", None),
    ],
    ".pl": [("Prolog", r"^[^#\n]*:-"), ("Perl", None)],
    ".t": [("Raku", r"^\s*use\s+v6\b|^\s*(?:my\s+)?class\s+\w+\s+is\s+\w"), ("Perl", None)],
    ".v": [
        ("Coq", r"(?:^|\s)(?:Proof|Qed)\.(?:$|\s)|(?:^|\s)Require\s+(?:Import|Export)\s"),
        (
            "V",
            r"\$(?:if|else)[ \t]|^[ \t]*fn\s+[^\s()]+\(.*?\).*?\{|^[ \t]*for\s*\{"
            r"|^\s*module\s+main\s*$",
        ),
        ("Verilog", None),
    ],
    ".d": [
        ("DTrace", r"^(?:\w+:\w*:\w*:\w*|BEGIN|END|provider\s+|(?:tick|profile)-\w+\s+\{)"),
        ("Makefile", r"^[\w\s/\\.-]+\.\w+\s*:\s+[\w\s/\\.-]+\.\w+|: \\$"),
        ("D", None),
    ],
    ".fs": [
        ("GLSL", r"^\s*(?:#version|precision|uniform|varying|in\s+vec[234]|out\s+vec[234])\b"),
        ("Forth", r"^: \S|^new-device"),
        ("F#", None),
    ],
    ".cl": [
        ("OpenCL", r"\b__kernel\b|\bkernel\s+void\b|^\s*#\s*(?:include|define|pragma)\b"),
        ("Common Lisp", None),
    ],
    ".pp": [("Pascal", r"^\s*end[.;]|^\s*(?:unit|program|uses)\s+\w"), ("Puppet", None)],
    ".ts": [("XML", r"<TS\b"), ("TypeScript", None)],
    ".php": [("Hack", r"<\?hh"), ("PHP", None)],
    ".hh": [("Hack", r"<\?hh"), ("C++", None)],
    ".r": [("Rebol", r"(?i)\brebol\b"), ("R", None)],
    ".spec": [
        ("RPM Spec", r"^(?:Name|Version|Release|Summary|License|BuildRequires):"),
        ("Python", None),
    ],
    ".cls": [
        ("TeX", r"\\(?:ProvidesClass|NeedsTeXFormat|documentclass|LoadClass)\b"),
        ("VBA", r"^\s*VERSION 1\.0 CLASS|^Attribute VB_"),
        ("Apex", None),
    ],
    ".bb": [("Clojure", r"^\s*\(\s*(?:ns|require|defn?)\b"), ("BitBake", None)],
}

HEURISTICS: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {
    ext: [(lang, re.compile(pattern, re.MULTILINE) if pattern else None) for lang, pattern in rules]
    for ext, rules in HEURISTIC_RULES.items()
}
