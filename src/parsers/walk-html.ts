import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/** What `walkHtml` reports, in document order: every element opened is closed, implied ends included. */
export interface HtmlVisitor {
  /** `attributes`: the element's `class`, `role` and `id`, the ones that tell page chrome from content. */
  open(name: string, attributes: ElementAttributes): void;
  close(name: string): void;
  text(text: string): void;
}

/** The attributes `walkHtml` reports, each cut at 256 characters. */
export interface ElementAttributes {
  class?: string;
  role?: string;
  id?: string;
}

const reported = new Set<string>(['class', 'role', 'id']);
const attributeMax = 256;
const noAttributes: ElementAttributes = Object.freeze({});

/** The set of the tag names in `list`, separated by spaces. */
export const tagNames = (list: string): Set<string> => new Set(list.split(' '));

// Elements that never have content or an end tag.
const voidElements = tagNames(
  'area base basefont br col command embed frame hr img input isindex keygen link meta param source track wbr',
);

/** Each of the elements in `list`, ending an open element named in `ends`. */
const ending = (list: string, ends: string): [string, Set<string>][] =>
  [...tagNames(list)].map((name) => [name, tagNames(ends)]);

// Where an element's start ends an open element without an end tag (`<p>a<p>b`, `<li>a<li>b`), as browsers read it.
const impliedEnds = new Map<string, Set<string>>([
  ...ending('tr', 'tr th td'),
  ...ending('th', 'th'),
  ...ending('td', 'thead th td'),
  ...ending('body', 'head link script'),
  ...ending('a', 'a'),
  ...ending('li', 'li'),
  ...ending('option', 'option'),
  ...ending('optgroup', 'optgroup option'),
  ...ending('dd dt', 'dd dt'),
  ...ending('rt rp', 'rt rp'),
  ...ending('tbody tfoot', 'thead tbody'),
  ...ending('h1 h2 h3 h4 h5 h6', 'h1 h2 h3 h4 h5 h6 p'),
  ...ending('select input output button datalist textarea', 'input option optgroup select button datalist textarea'),
  ...ending('address article aside blockquote details div dl fieldset figcaption figure footer form', 'p'),
  ...ending('header hr main nav ol p pre section table ul', 'p'),
]);

// Inside SVG and MathML, `<x/>` ends the element and `<style>` or `<title>` hold markup, as in XML;
// inside their HTML integration points, HTML rules again.
type Content = 'html' | 'svg' | 'math';
const integrationPoints = tagNames('mi mo mn ms mtext annotation-xml desc title');

/**
 * Reads HTML with htmlparser2's tokenizer and keeps the stack of open elements here. htmlparser2's own
 * `Parser` adds each element at the front of its stack and searches the stack for every end tag: time
 * quadratic in the nesting, so a hostile file of nested or stray tags held a parse process for minutes.
 * Here the stack grows at its end and a count per name answers "is it open?" at once, so every element
 * costs the same however deep it sits.
 */
export function walkHtml(html: string, visitor: HtmlVisitor): void {
  const stack: string[] = [];
  const openCount = new Map<string, number>();
  const isOpen = (name: string): boolean => (openCount.get(name) ?? 0) > 0;
  // The content each SVG or MathML root and each integration point starts, and which elements started one.
  const contents: Content[] = ['html'];
  const startedContent: boolean[] = [];
  const inForeign = (): boolean => contents[contents.length - 1] !== 'html';
  let pending = '';

  const contentOf = (name: string): Content | undefined => {
    if (name === 'svg' || name === 'math') {
      return name;
    }
    const svgIntegration = name === 'foreignobject' && contents[contents.length - 1] === 'svg';
    return integrationPoints.has(name) || svgIntegration ? 'html' : undefined;
  };
  const push = (name: string): void => {
    const content = contentOf(name);
    stack.push(name);
    startedContent.push(content !== undefined);
    openCount.set(name, (openCount.get(name) ?? 0) + 1);
    if (content !== undefined) {
      contents.push(content);
    }
  };
  const pop = (): void => {
    const name = stack.pop() as string;
    openCount.set(name, (openCount.get(name) ?? 1) - 1);
    if (startedContent.pop() === true) {
      contents.pop();
    }
    visitor.close(name);
  };
  let attributes: ElementAttributes = noAttributes;
  let attribute: keyof ElementAttributes | undefined;
  let value = '';
  const open = (name: string): void => {
    const given = attributes;
    attributes = noAttributes;
    // A form inside a form is ignored, as browsers do.
    if (name === 'form' && isOpen('form')) {
      return;
    }
    const ends = impliedEnds.get(name);
    while (ends && stack.length > 0 && ends.has(stack[stack.length - 1] as string)) {
      pop();
    }
    visitor.open(name, given);
    if (voidElements.has(name)) {
      visitor.close(name);
    } else {
      push(name);
    }
  };
  const close = (name: string): void => {
    if (isOpen(name)) {
      // Elements left open inside it end with it.
      while (stack[stack.length - 1] !== name) {
        pop();
      }
      pop();
    } else if (name === 'p' || name === 'br') {
      // A stray `</p>` or `</br>` stands for an empty element, as browsers read it.
      visitor.open(name, noAttributes);
      visitor.close(name);
    }
  };

  const slice = (start: number, end: number): string => html.slice(start, end);
  const callbacks: TokenizerCallbacks = {
    onopentagname: (start, end) => (pending = slice(start, end).toLowerCase()),
    onopentagend: () => open(pending),
    onselfclosingtag: () => {
      open(pending);
      // Read once the element is open: `<svg/>` is foreign content already, and ends at once.
      if (inForeign() && stack[stack.length - 1] === pending) {
        pop();
      }
    },
    onclosetag: (start, end) => close(slice(start, end).toLowerCase()),
    ontext: (start, end) => visitor.text(slice(start, end)),
    ontextentity: (codePoint) => visitor.text(String.fromCodePoint(codePoint)),
    oncdata: (start, end, offset) => {
      // CDATA is text only in SVG and MathML; elsewhere in HTML it is a comment.
      if (inForeign()) {
        visitor.text(slice(start, end - offset));
      }
    },
    onend: () => {
      while (stack.length > 0) {
        pop();
      }
    },
    isInForeignContext: inForeign,
    onattribname: (start, end) => {
      const name = slice(start, end).toLowerCase();
      attribute = reported.has(name) ? (name as keyof ElementAttributes) : undefined;
      value = '';
    },
    onattribdata: (start, end) => {
      if (attribute && value.length < attributeMax) {
        value += slice(start, Math.min(end, start + attributeMax - value.length));
      }
    },
    onattribentity: (codePoint) => {
      if (attribute && value.length < attributeMax) {
        value += String.fromCodePoint(codePoint);
      }
    },
    onattribend: () => {
      if (attribute) {
        attributes = { ...attributes, [attribute]: value };
        attribute = undefined;
      }
    },
    oncomment: () => undefined,
    ondeclaration: () => undefined,
    onprocessinginstruction: () => undefined,
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
}
