/**
 * The image port: turn a picture someone uploaded into a small, safe one.
 *
 * Uploaded bytes are data, never instructions: an implementation tells the
 * format by its signature alone (JPEG, PNG or WebP), refuses a picture whose
 * header declares more pixels than it takes before decoding any
 * (`image_dimensions_too_large`), decodes a bounded number at once
 * (`image_processing_busy` when too many wait), with bounded time and pixels,
 * and keeps none of its metadata. Input that is not such a decodable image is
 * refused with an AppError `invalid_image`; anything else (a missing binary,
 * a full disk) is an ordinary Error.
 */
export interface ImageProcessor {
  /** Fails with an actionable message when the toolchain is missing or incomplete. */
  check(): Promise<void>;
  /**
   * A `size`×`size` baseline JPEG of the image: scaled to cover the square,
   * centre-cropped, transparency flattened onto white.
   */
  squareJpeg(image: Buffer, size: number): Promise<Buffer>;
}
