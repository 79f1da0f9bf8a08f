#!/usr/bin/python3
"""Writes src/test/resources/images/exif/orientation-N.jpg for every EXIF orientation N = 1..8, as a phone or
camera stores a photo: the pixels as the sensor read them, plus the tag saying how to turn them upright.
Made with Pillow (Debian's python3-pil):

    /usr/bin/python3 src/test/python/exif_fixtures.py

Upright, every picture is 48 x 32 px: red top-left, green top-right, blue bottom-left, white bottom-right
quadrants. Pillow's own ImageOps.exif_transpose checks each file before it is written.
"""
import os

from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "images", "exif")
# Pillow's transpose that turns a stored picture of orientation N upright, and its inverse (how N is stored).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
STORED = {**UPRIGHT, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def upright():
    img = Image.new("RGB", (48, 32))
    for x in range(48):
        for y in range(32):
            img.putpixel((x, y), [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)][(y >= 16) * 2 + (x >= 24)])
    return img


def main():
    os.makedirs(OUT, exist_ok=True)
    want = upright()
    for n in range(1, 9):
        stored = want.transpose(STORED[n]) if n in STORED else want.copy()
        exif = Image.Exif()
        exif[0x0112] = n
        path = os.path.join(OUT, "orientation-%d.jpg" % n)
        stored.save(path, quality=95, exif=exif.tobytes())
        back = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        assert back.size == want.size, (n, back.size)
        for (x, y) in [(5, 5), (42, 5), (5, 26), (42, 26)]:
            assert all(abs(a - b) < 40 for a, b in zip(back.getpixel((x, y)), want.getpixel((x, y)))), (n, x, y)
        print(path, os.path.getsize(path), "bytes, stored", stored.size)


if __name__ == "__main__":
    main()
