#!/bin/sh
# Vendors the assets of /docs (Swagger UI) and /redoc (ReDoc) from the npm registry into
# app/static/docs/, so that the service serves its documentation with no CDN. Run it to
# change a pinned version (and update app/static/docs/VENDORED.md with what it prints).
set -eu
SWAGGER_UI=${SWAGGER_UI:-5.35.0}
REDOC=${REDOC:-2.5.4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/app/static/docs"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "swagger-ui-dist@$SWAGGER_UI" "redoc@$REDOC" >/dev/null
mkdir swagger redoc
tar xzf "swagger-ui-dist-$SWAGGER_UI.tgz" -C swagger
tar xzf "redoc-$REDOC.tgz" -C redoc
rm -rf "$DEST/swagger-ui" "$DEST/redoc"
mkdir -p "$DEST/swagger-ui" "$DEST/redoc"
S=swagger/package
cp "$S/swagger-ui-bundle.js" "$S/swagger-ui-bundle.js.LICENSE.txt" "$S/swagger-ui.css" \
   "$S/favicon-32x32.png" "$S/LICENSE" "$S/NOTICE" "$S/package.json" "$DEST/swagger-ui/"
R=redoc/package
cp "$R/bundles/redoc.standalone.js" "$R/bundles/redoc.standalone.js.LICENSE.txt" \
   "$R/LICENSE" "$R/package.json" "$DEST/redoc/"
echo "swagger-ui-dist@$SWAGGER_UI $(npm view "swagger-ui-dist@$SWAGGER_UI" dist.integrity)"
echo "redoc@$REDOC $(npm view "redoc@$REDOC" dist.integrity)"
