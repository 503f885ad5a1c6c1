#!/usr/bin/env bash
# Installs the system packages tsnotary's tests and sandbox use, when missing:
# the Go notary client and notary-server (the oracle), SoftHSM2 (PKCS#11 token), openssl, tmux
# (pseudo-terminal tests), zsh and fish (completion tests), docker-registry, skopeo and a docker CLI
# (trust tests), a C++ toolchain for the pkcs11js addon. Debian/Ubuntu only; skips when
# everything is present.
set -euo pipefail
need=()
command -v notary >/dev/null 2>&1 || need+=(notary)
command -v notary-server >/dev/null 2>&1 || need+=(notary)
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
# the optional pkcs11js addon is compiled by npm ci; without a toolchain the hardware tests skip
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v /usr/bin/time >/dev/null 2>&1 || need+=(time)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
# libfaketime: the shifted-clock test pass (docs/testing.md)
command -v faketime >/dev/null 2>&1 || need+=(faketime)

# `trust` tests: a registry (distribution 2.8), skopeo to push images without a daemon, and the
# docker CLI as the oracle. The tests prefer /usr/local/bin/docker (CLI 28, this machine kind);
# Debian's docker.io only when no docker CLI exists at all.
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
[ -x /usr/local/bin/docker ] || command -v docker >/dev/null 2>&1 || need+=(docker.io)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
