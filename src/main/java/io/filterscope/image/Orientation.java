package io.filterscope.image;

import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;

/**
 * EXIF orientation (tag 0x0112, read from the JPEG's own EXIF block): how a camera's stored pixels are turned
 * upright for display. Phones store a portrait photo sideways with orientation 6 (turn 90 degrees clockwise);
 * 2-8 are the eight combinations of a mirror and quarter turns (EXIF 2.3, section 4.6.4).
 */
final class Orientation {
    private static final int TAG_ORIENTATION = 0x0112;

    private Orientation() {
    }

    /**
     * The orientation a JPEG's EXIF block (APP1, "Exif\0\0", a TIFF structure) records in its first image
     * directory, or 1 when it has none or the block is malformed: a bad tag never stops a picture from being read.
     */
    static int ofJpeg(byte[] jpeg) {
        int at = 2;
        while (at + 4 <= jpeg.length && (jpeg[at] & 0xFF) == 0xFF) {
            int marker = jpeg[at + 1] & 0xFF;
            int length = u16(jpeg, at + 2, true);
            if (marker == 0xDA || marker == 0xD9 || length < 2) {
                return 1;
            }
            int body = at + 4;
            if (marker == 0xE1 && body + 6 <= jpeg.length && new String(jpeg, body, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("Exif")) {
                return fromTiff(jpeg, body + 6, Math.min(jpeg.length, at + 2 + length));
            }
            at += 2 + length;
        }
        return 1;
    }

    private static int fromTiff(byte[] b, int tiff, int end) {
        if (tiff + 8 > end) {
            return 1;
        }
        boolean bigEndian = b[tiff] == 'M' && b[tiff + 1] == 'M';
        if (!bigEndian && !(b[tiff] == 'I' && b[tiff + 1] == 'I')) {
            return 1;
        }
        long ifd = tiff + u32(b, tiff + 4, bigEndian);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, bigEndian);
        for (int i = 0; i < entries; i++) {
            int entry = (int) ifd + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(b, entry, bigEndian) == TAG_ORIENTATION) {
                int value = u16(b, entry + 8, bigEndian);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int at, boolean bigEndian) {
        int x = b[at] & 0xFF;
        int y = b[at + 1] & 0xFF;
        return bigEndian ? x << 8 | y : y << 8 | x;
    }

    private static long u32(byte[] b, int at, boolean bigEndian) {
        long hi = u16(b, bigEndian ? at : at + 2, bigEndian);
        long lo = u16(b, bigEndian ? at + 2 : at, bigEndian);
        return hi << 16 | lo;
    }

    /** The picture turned upright for this orientation (1 or an unknown value: as it is). */
    static BufferedImage upright(BufferedImage stored, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return stored;
        }
        int w = stored.getWidth();
        int h = stored.getHeight();
        boolean swap = orientation >= 5;
        AffineTransform t = switch (orientation) {
            case 2 -> new AffineTransform(-1, 0, 0, 1, w, 0);       // mirror left-right
            case 3 -> new AffineTransform(-1, 0, 0, -1, w, h);      // half turn
            case 4 -> new AffineTransform(1, 0, 0, -1, 0, h);       // mirror top-bottom
            case 5 -> new AffineTransform(0, 1, 1, 0, 0, 0);        // transpose
            case 6 -> new AffineTransform(0, 1, -1, 0, h, 0);       // quarter turn clockwise
            case 7 -> new AffineTransform(0, -1, -1, 0, h, w);      // transverse
            default -> new AffineTransform(0, -1, 1, 0, 0, w);      // 8: quarter turn counter-clockwise
        };
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h,
                stored.getColorModel().hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(stored, t, null);
        g.dispose();
        return out;
    }
}
