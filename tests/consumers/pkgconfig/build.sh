#!/bin/sh
# Builds the consumer with a plain compiler and pkg-config, against an installed libssh2-hpp
# (PKG_CONFIG_PATH says where, if not in pkg-config's default path).
#   build.sh [OUTPUT]
set -eu
cd "$(dirname "$0")"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
${CXX:-g++} -std=c++17 -Wall -Wextra -Werror consumer.cpp $(pkg-config --cflags --libs libssh2-hpp) -o "${1:-consumer}"
