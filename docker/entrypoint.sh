#!/bin/sh
# The image's entrypoint.  A first argument that names a program on PATH (ray, bash,
# python, curate, ...) runs that program; anything else is handed to curate, so
# `docker run IMAGE run pipelines/x.yaml ...` is `curate run pipelines/x.yaml ...`.
set -e
case "${1:-}" in
    "" | -*) ;;
    *)
        # command -v prints a path for a program, a bare name for a shell builtin.
        case "$(command -v "$1" 2>/dev/null || true)" in
            /*) exec "$@" ;;
        esac
        ;;
esac
exec curate "$@"
