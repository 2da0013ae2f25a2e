#!/usr/bin/env bash
# Fetches a real corpus from Debian's packages into bench/corpus/ (git-ignored):
#   docs/python-html  Python 3.11 documentation pages (python3.11-doc)
#   docs/python-text  their reStructuredText sources, as plain text
#   docs/r-pdf        the R manuals as PDF (r-doc-pdf), without the reference manual
#   large/refman.pdf  the R reference manual (2,415 pages in R 4.2.2), for `npm run bench -- --large`
#   twenty/           20 files of about 40 MB in all, for `npm run bench -- --corpus twenty`: the reference
#                     manual and 19 HTML files, each a run of the Python documentation's pages laid end to end
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/corpus"
mkdir -p "$corpus/debs" "$corpus/root"
cd "$corpus/debs"
if ! ls python3.11-doc_*.deb r-doc-pdf_*.deb >/dev/null 2>&1; then
  apt-get download python3.11-doc r-doc-pdf 2>/dev/null || { apt-get update -qq && apt-get download python3.11-doc r-doc-pdf; }
fi
for deb in python3.11-doc_*.deb r-doc-pdf_*.deb; do dpkg-deb -x "$deb" "$corpus/root"; done

rm -rf "$corpus/docs" "$corpus/large" "$corpus/twenty"
mkdir -p "$corpus/docs/python-html" "$corpus/docs/python-text" "$corpus/docs/r-pdf" "$corpus/large" "$corpus/twenty"
html="$corpus/root/usr/share/doc/python3.11/html"
for section in library tutorial howto reference faq; do
  cp -r "$html/$section" "$corpus/docs/python-html/"
done
for section in tutorial howto reference faq; do
  cp -r "$html/_sources/$section" "$corpus/docs/python-text/"
done
manual="$corpus/root/usr/share/R/doc/manual"
for pdf in "$manual"/R-*.pdf; do cp "$pdf" "$corpus/docs/r-pdf/"; done
cp "$manual/fullrefman.pdf" "$corpus/large/refman.pdf"
cp "$manual/fullrefman.pdf" "$corpus/twenty/refman.pdf"
# 19 files of the Python pages in order, cut between pages.
node - "$corpus/docs/python-html" "$corpus/twenty" <<'JS'
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const [from, to] = process.argv.slice(2);
const pages = readdirSync(from, { recursive: true }).filter((f) => f.endsWith('.html')).sort().map((f) => readFileSync(`${from}/${f}`));
const total = pages.reduce((sum, page) => sum + page.length, 0);
let bin = [], seen = 0, n = 0;
for (const page of pages) {
  bin.push(page);
  seen += page.length;
  // File n ends at the first page boundary past n/19 of the bytes: 19 files, each about 1/19th.
  if (seen >= ((n + 1) * total) / 19 || page === pages.at(-1)) {
    writeFileSync(`${to}/python-${String(++n).padStart(2, '0')}.html`, Buffer.concat(bin));
    bin = [];
  }
}
JS

echo "corpus in $corpus/docs:"
for d in "$corpus"/docs/*; do
  printf '  %-12s %5d files %8s\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)" "$(du -sh "$d" | cut -f1)"
done
printf '  %-12s %5d files %8s\n' "large" 1 "$(du -sh "$corpus/large/refman.pdf" | cut -f1)"
printf '  %-12s %5d files %8s\n' "twenty" "$(find "$corpus/twenty" -type f | wc -l)" "$(du -sh "$corpus/twenty" | cut -f1)"
