#!/usr/bin/env bash
# Fetches the retrieval evaluation's corpus from Debian's packages into eval/corpus/ (git-ignored):
#   <lang>/   the Debian Administrator's Handbook as HTML (debian-handbook), one folder per language:
#             en-US, de-DE, fr-FR, ja-JP, zh-CN (a DocBook-built site: navigation bars on every page)
#   en-pdf/   the R manuals as PDF (r-doc-pdf; R-intro, R-admin, R-data, R-exts, R-lang, R-ints)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/corpus"
mkdir -p "$corpus/debs" "$corpus/root"
cd "$corpus/debs"
if ! ls debian-handbook_*.deb r-doc-pdf_*.deb >/dev/null 2>&1; then
  apt-get download debian-handbook r-doc-pdf 2>/dev/null || { apt-get update -qq && apt-get download debian-handbook r-doc-pdf; }
fi
for deb in debian-handbook_*.deb r-doc-pdf_*.deb; do dpkg-deb -x "$deb" "$corpus/root"; done
html="$corpus/root/usr/share/doc/debian-handbook/html"
for lang in en-US de-DE fr-FR ja-JP zh-CN; do
  rm -rf "${corpus:?}/$lang"
  mkdir -p "$corpus/$lang"
  cp "$html/$lang"/*.html "$corpus/$lang/"
done
rm -rf "$corpus/en-pdf"
mkdir -p "$corpus/en-pdf"
for manual in R-intro R-admin R-data R-exts R-lang R-ints; do
  cp "$corpus/root/usr/share/R/doc/manual/$manual.pdf" "$corpus/en-pdf/"
done
rm -rf "$corpus/root"
for dir in "$corpus"/*/; do
  [ "$(basename "$dir")" = debs ] && continue
  printf '  %-8s %4d files %8s\n' "$(basename "$dir")" "$(find "$dir" -type f | wc -l)" "$(du -sh "$dir" | cut -f1)"
done
