package io.filterscope.image;

import com.squareup.gifencoder.FloydSteinbergDitherer;
import com.squareup.gifencoder.GifEncoder;
import com.squareup.gifencoder.ImageOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Animated GIFs, written with Square's gifencoder (a 256-colour palette per frame, dithered). */
public final class GifFiles {
    private GifFiles() {
    }

    /**
     * One GIF frame per image, each shown {@code delayMs} (GIF counts in hundredths of a second), looping for
     * ever, every image scaled up by the same whole factor (nearest neighbour, so pixels stay crisp) until it is
     * at least {@code minSide} pixels high.
     *
     * @throws IllegalArgumentException for no images or images of different sizes
     */
    public static byte[] animate(List<BufferedImage> images, int delayMs, int minSide) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("an animation needs at least one image");
        }
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        int scale = Math.max(1, (int) Math.ceil((double) minSide / h));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            GifEncoder gif = new GifEncoder(out, w * scale, h * scale, 0);
            ImageOptions options = new ImageOptions().setDelay(delayMs, TimeUnit.MILLISECONDS)
                    .setDitherer(FloydSteinbergDitherer.INSTANCE);
            for (BufferedImage image : images) {
                if (image.getWidth() != w || image.getHeight() != h) {
                    throw new IllegalArgumentException("every frame must be " + w + "x" + h + ", got "
                            + image.getWidth() + "x" + image.getHeight());
                }
                gif.addImage(scaled(image, scale), w * scale, options);
            }
            gif.finishEncoding();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    private static int[] scaled(BufferedImage image, int scale) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] src = image.getRGB(0, 0, w, h, null, 0, w);
        int[] out = new int[w * scale * h * scale];
        for (int y = 0; y < h * scale; y++) {
            for (int x = 0; x < w * scale; x++) {
                out[y * w * scale + x] = src[(y / scale) * w + x / scale];
            }
        }
        return out;
    }
}
