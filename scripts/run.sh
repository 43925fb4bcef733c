#!/usr/bin/env bash
# Runs Baryon (the README's run command). Arguments are passed to `baryon`; with none it
# validates the example environment and service specs against their template schemas.
# `baryon serve` (engine + proxy + console) becomes the default when the engine lands.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --package baryon
bin=target/release/baryon
if [ $# -gt 0 ]; then
  exec "$bin" "$@"
fi
fx=tests/fixtures
echo "# baryon validate: an EnvironmentSpec against its template schema (defaults applied)"
"$bin" validate --schema "$fx/templates/queue-env/v1/schema/schema.yaml" --spec "$fx/specs/queue-env.yaml"
echo
echo "# baryon validate: a ServiceSpec with a pipeline and two instances"
"$bin" validate --schema "$fx/templates/worker-svc/v1/schema/schema.yaml" --spec "$fx/specs/worker-svc.yaml"
echo
echo "# baryon validate: a broken spec (exit status 1, one line per problem)"
"$bin" validate --schema "$fx/templates/queue-env/v1/schema/schema.yaml" \
  --spec "$fx/specs/queue-env-three-errors.yaml" || true
echo
echo "More: $bin --help"
