import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-to-text.js';

describe('htmlToText leaves page chrome out', () => {
  it('drops a DocBook page’s navigation header and footer', () => {
    // The shape of a page of a DocBook-built manual (xsltproc's chunked HTML).
    const page = `<html><head><title>6.2. Package management</title></head><body>
      <div class="navheader"><table width="100%" summary="Navigation header"><tr><th colspan="3" align="center">6.2. Package management</th></tr>
      <tr><td width="20%" align="left"><a accesskey="p" href="ch06.html">Prev</a> </td><th width="60%" align="center">Chapter 6. Maintenance</th>
      <td width="20%" align="right"> <a accesskey="n" href="ch06s03.html">Next</a></td></tr></table><hr></div>
      <div class="section"><div class="titlepage"><h2 class="title">6.2. Package management</h2></div>
      <p>Packages are installed with <code>apt</code>.</p></div>
      <div class="navfooter"><hr><table width="100%" summary="Navigation footer"><tr><td><a href="ch06.html">Prev</a></td>
      <td><a href="index.html">Home</a></td><td><a href="ch06s03.html">Next</a></td></tr><tr><td>Chapter 6. Maintenance</td></tr></table></div>
      </body></html>`;
    const { text, title } = htmlToText(page);
    expect(title).toBe('6.2. Package management');
    expect(text).toBe('## 6.2. Package management\n\nPackages are installed with apt.');
  });

  it('drops nav, the page’s header and footer, landmarks and skip links, and keeps an article’s header', () => {
    const page = `<html><body><a class="skip-link" href="#main">Skip to content</a>
      <header><a href="/">Site name</a><nav><ul><li><a href="/docs">Docs</a></li><li><a href="/blog">Blog</a></li></ul></nav></header>
      <div role="navigation" class="related"><a href="prev.html">previous</a> | <a href="next.html">next</a></div>
      <main id="main"><article><header><h1>Installing</h1><p class="byline">Updated May 2026</p></header>
      <p>Run the installer.</p><footer>Filed under: setup</footer></article></main>
      <div role="search"><form><input name="q"></form></div>
      <ol class="breadcrumbs"><li>Home</li><li>Docs</li></ol>
      <footer><p>© 2026 Example. All rights reserved.</p></footer></body></html>`;
    const { text, headings } = htmlToText(page);
    expect(text).toBe('# Installing\n\nUpdated May 2026\n\nRun the installer.\n\nFiled under: setup');
    expect(headings).toEqual([0]);
  });

  it('drops the banner and navigation bars of a Publican-built page', () => {
    const page = `<html><body><div id="banner"><a href="http://example.org/get/"><span class="text">Download the ebook</span></a></div>
      <ul class="docnav top"><li class="previous"><a href="apt.html"><strong>Prev</strong></a></li><li class="home">The Handbook</li></ul>
      <div class="section"><h2 class="title">6.2. apt-get</h2><div class="para">Install with apt-get.</div></div>
      <ul class="docnav"><li class="previous"><a href="apt.html"><strong>Prev</strong>Chapter 6.</a></li><li class="up"><a href="#"><strong>Up</strong></a></li></ul></body></html>`;
    expect(htmlToText(page).text).toBe('## 6.2. apt-get\n\nInstall with apt-get.');
  });

  it('keeps text after a dropped element that was never closed, as the browser would end it', () => {
    const { text } = htmlToText('<body><nav><a href="/">Home</a><p>Kept? no: inside nav</p></body><p>After</p>');
    expect(text).toBe('After');
  });
});

describe('htmlToText marks code', () => {
  it('reports where each <pre> block is, <pre><code> included, and keeps the text as it was', () => {
    const page = `<h1>Install</h1><p>Edit the file:</p><pre>  # sshd_config\n\nPort 22   \n</pre><p>Then run:</p>
      <pre><code class="language-sh">$ systemctl restart ssh\n</code></pre><h2>Check</h2>`;
    const { text, headings, codeBlocks } = htmlToText(page);
    expect(text).toBe(
      '# Install\n\nEdit the file:\n\n  # sshd_config\n\nPort 22\n\nThen run:\n\n$ systemctl restart ssh\n\n## Check',
    );
    expect(headings.map((at) => text.slice(at, at + 4))).toEqual(['# In', '## C']);
    // From the first visible character to the last: a chunk's text is trimmed the same way.
    expect(codeBlocks.map(([start, end]) => text.slice(start, end))).toEqual([
      '# sshd_config\n\nPort 22',
      '$ systemctl restart ssh',
    ]);
  });

  it('takes a <pre> in a <pre> as part of it, reports no block for a blank one, and tidies around them as before', () => {
    const page =
      '<p>Before</p><pre>\n-\ncode   \n-\n</pre><pre> \n\t </pre><pre>outer<pre>inner</pre>tail</pre><p>After</p>';
    const { text, codeBlocks } = htmlToText(page);
    expect(text).toBe('Before\n\ncode\n\nouter\n\ninner\n\ntail\n\nAfter');
    expect(codeBlocks.map(([start, end]) => text.slice(start, end))).toEqual(['code', 'outer\n\ninner\n\ntail']);
    expect(htmlToText('<p>No code here.</p>').codeBlocks).toEqual([]);
  });
});
