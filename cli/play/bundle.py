#!/usr/bin/env python3
# bundle.py: makes the live page's template, play_page.html: play.html with @STYLE@ replaced by
# play.css, @SCRIPT@ by the scripts (in the order given), and @WASM@ by tapegrad.wasm in base64
# (76-character lines). @TITLE@, @VERSION@ and @STATE@ stay for play.c to fill in; cli/show's
# embed.py turns the result into a C header. Run by meson at build time:
#   bundle.py play_page.html play.html play.css SCRIPT.js ... tapegrad.wasm
import base64
import sys


def main():
    dst, html, css, *scripts, wasm = sys.argv[1:]
    read = lambda p: open(p, encoding='utf-8').read()
    page = read(html)
    page = page.replace('@STYLE@\n', read(css))
    page = page.replace('@SCRIPT@\n', ''.join(read(s) for s in scripts))
    b64 = base64.b64encode(open(wasm, 'rb').read()).decode('ascii')
    page = page.replace('@WASM@\n', ''.join(b64[i:i + 76] + '\n' for i in range(0, len(b64), 76)))
    for marker in ('@STYLE@', '@SCRIPT@', '@WASM@'):
        if marker in page:
            sys.exit('bundle.py: %s is not on a line of its own in %s' % (marker, html))
    if '</script' in ''.join(read(s) for s in scripts).lower():
        sys.exit('bundle.py: a script contains </script, which would end its element early')
    with open(dst, 'w', encoding='utf-8') as f:
        f.write(page)


if __name__ == '__main__':
    main()
