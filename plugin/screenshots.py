"""What happens to a frame on its way to becoming someone's screenshot, for benchmarks and tests.

Each transformation takes an RGB frame (and a seeded generator) and returns the still a user
might hold: resized and recompressed, cropped, with bars added or removed, inside a player
window, with subtitles or a logo burned in, colour-graded, blurred and noisy, or mirrored.
`crop_box` transformations also say where the still sits in the frame, so a search's
reported crop can be checked.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from reelprint.borders import find_borders

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    h, w = image.shape[:2]
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interp)


def _encode(image: np.ndarray, ext: str, quality: int) -> np.ndarray:
    flag = cv2.IMWRITE_JPEG_QUALITY if ext == ".jpg" else cv2.IMWRITE_WEBP_QUALITY
    ok, buf = cv2.imencode(ext, image[..., ::-1], [flag, quality])
    assert ok, ext
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def resize_quarter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _resize(image, 0.25)


def resize_double(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _resize(image, 2.0)


def jpeg_low(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _encode(_resize(image, float(rng.uniform(0.5, 1.0))), ".jpg", int(rng.integers(30, 50)))


def webp(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _encode(image, ".webp", int(rng.integers(40, 80)))


def random_crop_box(width: int, height: int, rng: np.random.Generator, most: float = 0.2
                    ) -> tuple[int, int, int, int]:
    """(x, y, w, h): up to `most` of each dimension cut away, split between its two sides."""
    cut_x, cut_y = rng.uniform(0, most, 2)
    left, top = rng.uniform(0, 1, 2) * [cut_x, cut_y]
    x, y = round(left * width), round(top * height)
    return x, y, round((1 - cut_x) * width), round((1 - cut_y) * height)


def centre_crop_box(width: int, height: int, share: float = 0.8) -> tuple[int, int, int, int]:
    w, h = round(width * share), round(height * share)
    return (width - w) // 2, (height - h) // 2, w, h


def crop_sides(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x, y, w, h = random_crop_box(image.shape[1], image.shape[0], rng)
    return np.ascontiguousarray(image[y:y + h, x:x + w])


def crop_centre(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x, y, w, h = centre_crop_box(image.shape[1], image.shape[0])
    return np.ascontiguousarray(image[y:y + h, x:x + w])


def _pad(image: np.ndarray, top: int, bottom: int, left: int, right: int, colour) -> np.ndarray:
    return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=colour)


def letterbox(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The frame inside a taller canvas (e.g. 16:9 posted as 4:3 or square)."""
    h, _w = image.shape[:2]
    bar = round(h * rng.uniform(0.12, 0.3))
    return _pad(image, bar, bar, 0, 0, (0, 0, 0))


def pillarbox(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    _h, w = image.shape[:2]
    bar = round(w * rng.uniform(0.1, 0.25))
    return _pad(image, 0, 0, bar, bar, (0, 0, 0))


def bars_removed(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The frame's own bars cut off (a video with bars; a still without)."""
    return np.ascontiguousarray(find_borders(image).apply(image))


def player_chrome(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A player window: a near-uniform frame around the picture and a control bar under it."""
    h, w = image.shape[:2]
    shade = int(rng.integers(20, 70))
    pad = max(4, round(w * rng.uniform(0.02, 0.08)))
    bar_h = max(10, round(h * rng.uniform(0.07, 0.12)))
    framed = _pad(image, pad, pad + bar_h, pad, pad, (shade, shade, shade))
    y0 = pad + h + bar_h // 3
    played = pad + round(w * rng.uniform(0.1, 0.9))
    cv2.line(framed, (pad, y0), (pad + w, y0), (110, 110, 110), max(2, bar_h // 8))
    cv2.line(framed, (pad, y0), (played, y0), (220, 40, 40), max(2, bar_h // 8))
    cv2.circle(framed, (played, y0), max(3, bar_h // 5), (240, 240, 240), -1)
    scale = bar_h / 40
    cv2.putText(framed, "1:02:17 / 1:48:03", (pad + 4, pad + h + bar_h - 4), cv2.FONT_HERSHEY_SIMPLEX,
                scale, (230, 230, 230), max(1, round(scale * 2)), cv2.LINE_AA)
    noise = rng.normal(0, 1.0, framed.shape)  # window themes are near-uniform, not flat
    return np.clip(framed + noise, 0, 255).astype(np.uint8)


_SUBTITLES = ["I never said it would be easy.", "Where were you last night?", "Get down!",
              "We have to leave before dawn.", "That's not what I meant, and you know it."]


def subtitles(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = image.copy()
    h, w = out.shape[:2]
    text = _SUBTITLES[int(rng.integers(len(_SUBTITLES)))]
    scale = w / 700
    thick = max(1, round(scale * 2))
    (tw, _th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    org = ((w - tw) // 2, h - round(h * 0.08))
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return out


def logo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A semi-transparent channel logo in a corner."""
    out = image.copy()
    h, w = out.shape[:2]
    lw, lh = round(w * 0.18), round(h * 0.1)
    x = round(w * 0.03) if rng.random() < 0.5 else w - lw - round(w * 0.03)
    y = round(h * 0.04)
    patch = out[y:y + lh, x:x + lw].astype(np.float32)
    mark = np.full(patch.shape, 255, np.uint8)
    cv2.putText(mark, "TV5", (lw // 8, lh * 3 // 4), cv2.FONT_HERSHEY_SIMPLEX, lh / 40, (200, 30, 30),
                max(1, lh // 12), cv2.LINE_AA)
    out[y:y + lh, x:x + lw] = np.clip(0.45 * patch + 0.55 * mark, 0, 255).astype(np.uint8)
    return out


def colour_grade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast, saturation and gamma, all changed a little."""
    x = image.astype(np.float32) / 255
    x = np.clip(x ** rng.uniform(0.7, 1.4), 0, 1)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.5, 1.5)
    x = (x - 0.5) * rng.uniform(0.75, 1.3) + 0.5 + rng.uniform(-0.12, 0.12)
    return np.clip(x * 255, 0, 255).astype(np.uint8)


def blur_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = rng.uniform(0.8, 1.6) * max(1.0, image.shape[1] / 640)
    blurred = cv2.GaussianBlur(image, (0, 0), sigma).astype(np.float32)
    return np.clip(blurred + rng.normal(0, rng.uniform(3, 8), image.shape), 0, 255).astype(np.uint8)


def mirror(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


# Name -> transformation, in the order the issue lists them.
TRANSFORMS: dict[str, Transform] = {
    "resize_1/4": resize_quarter,
    "resize_2x": resize_double,
    "jpeg_q30+": jpeg_low,
    "webp": webp,
    "crop_sides": crop_sides,
    "crop_centre80": crop_centre,
    "letterbox": letterbox,
    "pillarbox": pillarbox,
    "bars_removed": bars_removed,
    "player_chrome": player_chrome,
    "subtitles": subtitles,
    "logo": logo,
    "colour_grade": colour_grade,
    "blur_noise": blur_noise,
    "mirror": mirror,
}
