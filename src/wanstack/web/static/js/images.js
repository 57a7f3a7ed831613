// Reading the images a user picks: format from the bytes, pixel size, transparency, and the
// data: URI that goes into the request body (wanstack accepts data: URIs for every media field).
//
// What the user sees is what is sent: browsers draw JPEG photos upright by their EXIF
// orientation, but the server reads the stored pixels. A rotated JPEG (phone photos) is therefore
// re-encoded upright before it is sent, so a mask painted over it lines up with it.

const SIGNATURES = [
  ["PNG", "image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["JPEG", "image/jpeg", [0xff, 0xd8, 0xff]],
  ["BMP", "image/bmp", [0x42, 0x4d]],
  ["GIF", "image/gif", [0x47, 0x49, 0x46, 0x38]],
];

/** {format, mime} from a file's first bytes; WEBP is RIFF....WEBP. */
export function sniff(bytes) {
  for (const [format, mime, sig] of SIGNATURES) {
    if (sig.every((b, i) => bytes[i] === b)) return { format, mime };
  }
  const text = String.fromCharCode(...bytes.slice(0, 12));
  if (text.startsWith("RIFF") && text.slice(8, 12) === "WEBP") {
    return { format: "WEBP", mime: "image/webp" };
  }
  return { format: "unknown", mime: "application/octet-stream" };
}

/** EXIF orientation (1–8) of a JPEG, or 1 when it has none. */
export function jpegOrientation(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  while (offset + 4 <= view.byteLength) {
    if (view.getUint8(offset) !== 0xff) return 1;
    const marker = view.getUint8(offset + 1);
    const length = view.getUint16(offset + 2);
    if (marker === 0xe1 && view.getUint32(offset + 4) === 0x45786966) {
      const tiff = offset + 10;
      const little = view.getUint16(tiff) === 0x4949;
      const ifd = tiff + view.getUint32(tiff + 4, little);
      const entries = view.getUint16(ifd, little);
      for (let i = 0; i < entries; i += 1) {
        const entry = ifd + 2 + i * 12;
        if (entry + 10 > view.byteLength) return 1;
        if (view.getUint16(entry, little) === 0x0112) return view.getUint16(entry + 8, little);
      }
      return 1;
    }
    if (marker === 0xda) return 1; // image data starts: no EXIF before it
    offset += 2 + length;
  }
  return 1;
}

function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function loadImage(url) {
  const img = new Image();
  img.decoding = "async";
  img.src = url;
  return img.decode().then(() => img);
}

function canvasBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/**
 * A picked image file, decoded: {name, format, mime, size, width, height, image (a decoded
 * HTMLImageElement), url (object URL for previews), dataUrl (what is sent), note}. Throws an
 * Error with a readable message when the browser cannot decode it.
 */
export async function readImage(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { format, mime } = sniff(bytes);
  let blob = new Blob([bytes], { type: mime });
  let url = URL.createObjectURL(blob);
  let image;
  try {
    image = await loadImage(url);
  } catch {
    URL.revokeObjectURL(url);
    throw new Error(`${file.name}: this browser cannot read it as an image (${format}).`);
  }
  let note = "";
  if (format === "JPEG" && jpegOrientation(bytes) > 1) {
    // Drawn upright by the browser: send exactly those pixels.
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    canvas.getContext("2d").drawImage(image, 0, 0);
    blob = await canvasBlob(canvas, "image/jpeg", 0.95);
    URL.revokeObjectURL(url);
    url = URL.createObjectURL(blob);
    image = await loadImage(url);
    note = "turned upright by its EXIF orientation";
  }
  return {
    name: file.name,
    format,
    mime,
    size: blob.size,
    width: image.naturalWidth,
    height: image.naturalHeight,
    image,
    url,
    note,
    dataUrl: await blobToDataUrl(blob),
  };
}

/** Whether any pixel of the image is not fully opaque (an RGBA cut-out has such pixels). */
export function hasTransparency(image) {
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
  return false;
}

/** A data: URI of a picked non-image file (audio), as it is. */
export async function readFileAsDataUrl(file, mime) {
  const blob = mime ? new Blob([await file.arrayBuffer()], { type: mime }) : file;
  return blobToDataUrl(blob);
}
