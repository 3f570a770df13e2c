/** Public API of the labels module: QR images and A4 label sheets (served by server/http/routes/labels.ts, printed by the CLI). */
export { QR_ERROR_CORRECTION, QR_QUIET_ZONE, qrMatrix, qrPng, qrSvg, type QrImageOptions, type QrMatrix } from './qr';
export { MAX_LABELS, asciiOnly, labelSheetPdf, type LabelItem, type LabelSheetOptions } from './sheet';
export { findCjkFont, type CjkFont } from './fonts';
export { getBatchRecord, labelItemOfBatch, labelItemsOf } from './items';
export { deadLabelUrlBanner, deadLabelUrlProblem } from './public-url';
