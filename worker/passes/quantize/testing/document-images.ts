/**
 * Synthetic "document" images for OCR-detector tests: light paper with rows of dark glyph-like strokes,
 * normalized like PP-OCR inputs. Random-noise inputs make DBNet output ~0 everywhere, which makes any fidelity
 * number meaningless; text-like strokes make it respond as on real pages.
 */
import type { TRuntimeTensor } from "../../../runtime/ort";
import { createRandom } from "./build-models";

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** A [1, 3, height, width] float32 tensor. */
export function createDocumentImage(seed: number, height: number, width: number): TRuntimeTensor {
  const rng = createRandom(seed);
  const gray = new Float32Array(height * width);
  const paper = 0.85 + 0.1 * rng.uniform();
  gray.fill(paper);
  let y = 4 + Math.floor(rng.uniform() * 10);
  while (y < height - 12) {
    const lineH = 8 + Math.floor(rng.uniform() * 14);
    let x = 4 + Math.floor(rng.uniform() * 20);
    const lineEnd = width - 4 - Math.floor(rng.uniform() * width * 0.4);
    const ink = 0.05 + 0.25 * rng.uniform();
    while (x < lineEnd) {
      const glyphW = Math.max(3, Math.floor(lineH * (0.5 + 0.5 * rng.uniform())));
      // A glyph: a few random strokes inside its box.
      const strokes = 2 + Math.floor(rng.uniform() * 3);
      for (let s = 0; s < strokes; s++) {
        const vertical = rng.uniform() < 0.5;
        const pos = Math.floor(rng.uniform() * (vertical ? glyphW : lineH));
        const thick = 1 + Math.floor(rng.uniform() * 2);
        for (let dy = 0; dy < lineH; dy++) {
          for (let dx = 0; dx < glyphW; dx++) {
            const on = vertical ? dx >= pos && dx < pos + thick : dy >= pos && dy < pos + thick;
            if (on && y + dy < height && x + dx < width) gray[(y + dy) * width + x + dx] = ink;
          }
        }
      }
      x += glyphW + 1 + Math.floor(rng.uniform() * 3);
      if (rng.uniform() < 0.12) x += lineH; // word gap
    }
    y += lineH + 6 + Math.floor(rng.uniform() * 14);
  }
  const data = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < height * width; i++) data[c * height * width + i] = (gray[i] + 0.02 * rng.normal() - MEAN[c]) / STD[c];
  }
  return { type: "float32", dims: [1, 3, height, width], data };
}
