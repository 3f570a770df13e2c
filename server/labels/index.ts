/** Public API of the labels module: QR images, A4 label sheets, and the routes that serve them. */
export { QR_ERROR_CORRECTION, QR_QUIET_ZONE, qrMatrix, qrPng, qrSvg, type QrImageOptions, type QrMatrix } from './qr';
export { MAX_LABELS, asciiOnly, labelSheetPdf, type LabelItem, type LabelSheetOptions } from './sheet';
export { findCjkFont, type CjkFont } from './fonts';
export { getBatchRecord, labelItemOfBatch, labelItemsOf } from './items';
export { MAX_LABELS_PER_REQUEST, createLabelRouter, labelRoutes } from './router';
