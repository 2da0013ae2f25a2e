import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { PDFDocument, PDFHexString, PDFName, StandardFonts } from 'pdf-lib';
import { loadPdfium, type Pdfium } from '../../src/parsers/pdfium.js';

/**
 * A real PDF with one text page per entry (pdf-lib, Helvetica); with `attachmentBytes`, also a file of
 * that many random bytes attached, to make it large.
 */
export async function makePdf(
  pages: string[],
  { attachmentBytes = 0, outline = [] as { title: string; page: number }[] } = {},
): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  if (attachmentBytes > 0) {
    await pdf.attach(randomBytes(attachmentBytes), 'padding.bin', { mimeType: 'application/octet-stream' });
  }
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = pdf.addPage([595, 842]);
    text.split('\n').forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 16, size: 12, font }));
  }
  if (outline.length > 0) {
    addOutline(pdf, outline);
  }
  return Buffer.from(await pdf.save());
}

/** A flat outline (bookmarks) whose entries point at pages (0-based), as a PDF's own dictionaries. */
function addOutline(pdf: PDFDocument, entries: { title: string; page: number }[]): void {
  const { context } = pdf;
  const root = context.nextRef();
  const refs = entries.map(() => context.nextRef());
  entries.forEach(({ title, page }, i) => {
    const item = context.obj({
      Title: PDFHexString.fromText(title),
      Parent: root,
      Dest: [pdf.getPage(page).ref, 'XYZ', null, null, null],
    });
    if (i > 0) {
      item.set(PDFName.of('Prev'), refs[i - 1]!);
    }
    if (i < entries.length - 1) {
      item.set(PDFName.of('Next'), refs[i + 1]!);
    }
    context.assign(refs[i]!, item);
  });
  context.assign(
    root,
    context.obj({ Type: 'Outlines', First: refs[0]!, Last: refs[refs.length - 1]!, Count: entries.length }),
  );
  pdf.catalog.set(PDFName.of('Outlines'), root);
}

/** A real DOCX (docx package): a heading, then paragraphs. */
export async function makeDocx(heading: string, paragraphs: string[]): Promise<Buffer> {
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: heading, heading: HeadingLevel.HEADING_1 }),
          ...paragraphs.map((text) => new Paragraph({ text })),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/**
 * A zip of the given entries, deflated; entries may lie about nothing, so `[Content_Types].xml` plus a
 * huge run of zeros makes a DOCX-looking zip bomb (a few hundred KB expanding to hundreds of MB).
 */
export function makeZip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const compressed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

export function makeDocxZipBomb(expandedBytes: number): Buffer {
  const contentTypes = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  return makeZip([
    { name: '[Content_Types].xml', data: contentTypes },
    { name: 'word/document.xml', data: Buffer.alloc(expandedBytes, 0x20) },
  ]);
}

/**
 * JSON whose parsed form needs far more memory and time than its bytes suggest: many small records.
 * A real shape (exports, logs); at a million records JSON.parse blocks its thread for about a second.
 */
export function heapHungryJson(records: number): Buffer {
  return Buffer.from(`[${Array.from({ length: records }, (_, i) => `{"n":${i},"k":"v${i % 97}"}`).join(',')}]`);
}

/** The slice of PDFium's writer that `encryptPdf` needs, beside what the parser uses. */
interface PdfiumWriter extends Pdfium {
  EPDF_SetEncryption(document: number, userPassword: string, ownerPassword: string, permissions: number): boolean;
  PDFiumExt_OpenFileWriter(): number;
  PDFiumExt_SaveAsCopy(document: number, writer: number): number;
  PDFiumExt_GetFileWriterSize(writer: number): number;
  PDFiumExt_GetFileWriterData(writer: number, buffer: number, size: number): number;
  PDFiumExt_CloseFileWriter(writer: number): void;
}

/** `pdf` saved again with a user password (PDFium's standard security handler, AES). */
export async function encryptPdf(pdf: Uint8Array, password: string): Promise<Buffer> {
  const pdfium = (await loadPdfium()) as PdfiumWriter;
  const { malloc, free } = pdfium.pdfium.wasmExports;
  const file = malloc(pdf.byteLength);
  pdfium.pdfium.HEAPU8.set(pdf, file);
  const document = pdfium.FPDF_LoadMemDocument(file, pdf.byteLength, '');
  const writer = pdfium.PDFiumExt_OpenFileWriter();
  try {
    if (
      !pdfium.EPDF_SetEncryption(document, password, `${password}-owner`, 0xfffffffc) ||
      !pdfium.PDFiumExt_SaveAsCopy(document, writer)
    ) {
      throw new Error('PDFium could not encrypt the PDF');
    }
    const size = pdfium.PDFiumExt_GetFileWriterSize(writer);
    const out = malloc(size);
    pdfium.PDFiumExt_GetFileWriterData(writer, out, size);
    const encrypted = Buffer.from(pdfium.pdfium.HEAPU8.slice(out, out + size));
    free(out);
    return encrypted;
  } finally {
    pdfium.PDFiumExt_CloseFileWriter(writer);
    pdfium.FPDF_CloseDocument(document);
    free(file);
  }
}

/**
 * A DOCX made by hand from WordprocessingML `body` (the children of `<w:body>`): the smallest package
 * mammoth reads, so a test can give it shapes the docx package would never write (nesting thousands deep).
 */
export function makeDocxFromBody(body: string): Buffer {
  const contentTypes =
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
  const relationships =
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
  const document =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(contentTypes) },
    { name: '_rels/.rels', data: Buffer.from(relationships) },
    { name: 'word/document.xml', data: Buffer.from(document) },
  ]);
}

/**
 * A one-page PDF written by hand around the page's content stream `content` (Helvetica as /F1), with a
 * correct cross-reference table: PDFium reads it as written, so a test can give it any operators, nested
 * as deep as it likes.
 */
export function makeRawPdf(content: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
