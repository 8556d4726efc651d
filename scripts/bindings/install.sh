#!/usr/bin/env bash
# Installs what building and testing the Python, Java and Go packages needs
# beyond Node.js, when it is missing, from Debian's packages:
#   Python 3 with venv and pip   (python3 python3-venv python3-pip)
#   a JDK, 17 or newer, and Maven (openjdk-17-jdk-headless maven)
#   Go, 1.25 or newer            (golang-go; Debian's is 1.19, so then the
#                                 Go toolchain itself, a module of the Go
#                                 module proxy: see install_go_toolchain)
# The build machines have them all; this is for a machine that does not.
# Everything else (aws-cdk-lib and the jsii runtimes, Maven plugins, Go
# modules) comes from PyPI, Maven Central and the Go module proxy when
# package.sh and test.sh run. Checks the versions and fails, saying what to
# do, when one is too old.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The Go release the Go module proxy serves as golang.org/toolchain (the
# module the go command itself switches to when a go.mod asks for a newer Go).
GO_TOOLCHAIN_VERSION="${GO_TOOLCHAIN_VERSION:-1.26.8}"
GO_INSTALL_PREFIX="${GO_INSTALL_PREFIX:-/usr/local}"

# Installs Go $GO_TOOLCHAIN_VERSION with the go that is there (any version
# with modules, Debian's 1.19 too): `go mod download` of the toolchain module
# into $GO_INSTALL_PREFIX/go$GO_TOOLCHAIN_VERSION, linked from
# $GO_INSTALL_PREFIX/bin/go.
install_go_toolchain() {
  local arch module tmp dir target="$GO_INSTALL_PREFIX/go$GO_TOOLCHAIN_VERSION"
  arch=$(dpkg --print-architecture 2> /dev/null || echo amd64)
  module="golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-$arch"
  log "go $(go env GOVERSION) is older than 1.25; installing $module from the Go module proxy"
  tmp=$(mktemp -d)
  dir=$(cd "$tmp" && GOMODCACHE="$tmp/mod" GOFLAGS=-modcacherw go mod download -json "$module" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$target"
  cp -r "$dir" "$target"
  chmod -R u+w,a+rX "$target"
  chmod a+x "$target"/bin/* "$target"/pkg/tool/*/*
  mkdir -p "$GO_INSTALL_PREFIX/bin"
  ln -sf "$target/bin/go" "$GO_INSTALL_PREFIX/bin/go"
  ln -sf "$target/bin/gofmt" "$GO_INSTALL_PREFIX/bin/gofmt"
  rm -rf "$tmp"
}

need=()
if ! command -v python3 > /dev/null || ! python3 -c 'import venv, ensurepip' 2> /dev/null; then
  need+=(python3 python3-venv python3-pip)
fi
command -v javac > /dev/null || need+=(openjdk-17-jdk-headless)
command -v mvn > /dev/null || need+=(maven)
command -v go > /dev/null || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

problems=0
java_major=$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
if [ "${java_major:-0}" -lt 17 ]; then
  log "javac is version $java_major; the Java smoke test compiles for Java 17 (apt-get install openjdk-17-jdk-headless, then JAVA_HOME)"
  problems=1
fi
go_version=$(go env GOVERSION | sed -E 's/^go//')
if [ "$(cut -d. -f2 <<< "$go_version")" -lt 25 ]; then
  install_go_toolchain
  hash -r
  go_version=$(go env GOVERSION | sed -E 's/^go//')
  if [ "$(cut -d. -f2 <<< "$go_version")" -lt 25 ]; then
    log "go on PATH is still $go_version: put $GO_INSTALL_PREFIX/bin before $(dirname "$(command -v go)") in PATH"
    problems=1
  fi
fi
[ "$problems" = 0 ] || exit 1
log "ready: $(python3 --version 2>&1), javac $java_major, $(mvn -B -v 2>/dev/null | head -n 1 | sed -E "s/\x1b\[[0-9;]*m//g; s/ \(.*//"), go $go_version, node $(node --version)"
