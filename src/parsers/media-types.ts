/** The formats Sluice reads, by media type; apart from the sniffer, which loads file-type. */
export const mediaTypes = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  text: 'text/plain',
} as const;

export type MediaType = (typeof mediaTypes)[keyof typeof mediaTypes];
