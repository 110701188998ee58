#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# Regenerate the build system: configure, Makefile.in and build-aux/.
set -e
cd "$(dirname "$0")"
autoreconf --install --force
