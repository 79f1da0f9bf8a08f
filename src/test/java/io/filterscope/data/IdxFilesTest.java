package io.filterscope.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {

    @Test
    void writtenSetsReadBackQuantizedToEightBits(@TempDir Path dir) throws IOException {
        float[][] pixels = {{0f, 1f, 0.5f, 0.25f, 2f, -1f}, {1f, 1f, 1f, 0f, 0f, 0f}};
        LabeledImages set = new LabeledImages(pixels, new int[] {7, 3}, 2, 3);
        IdxFiles.write(set, dir.resolve("i.idx.gz"), dir.resolve("l.idx.gz"));
        LabeledImages back = IdxFiles.read(dir.resolve("i.idx.gz"), dir.resolve("l.idx.gz"));
        assertEquals(2, back.height());
        assertEquals(3, back.width());
        assertArrayEquals(new int[] {7, 3}, back.labels());
        assertArrayEquals(new float[] {0f, 1f, 128 / 255f, 64 / 255f, 1f, 0f}, back.pixels()[0], 1e-6f);
    }

    @Test
    void floatsKeepOnlyTheSignificantBitsAskedForAndCompressBetterForIt(@TempDir Path dir) throws IOException {
        java.util.Random rng = new java.util.Random(5);
        float[] values = new float[4096];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(5) - 2));
        }
        int[] dims = {4, 32, 32};
        IdxFiles.writeFloats(dir.resolve("full.idx.gz"), dims, values);
        IdxFiles.writeFloats(dir.resolve("ten.idx.gz"), dims, values, 10);
        assertArrayEquals(values, IdxFiles.readFloats(dir.resolve("full.idx.gz")).values(), "full precision by default");
        IdxFiles.Floats ten = IdxFiles.readFloats(dir.resolve("ten.idx.gz"));
        assertArrayEquals(dims, ten.dims());
        double worst = 0;
        for (int i = 0; i < values.length; i++) {
            worst = Math.max(worst, Math.abs(ten.values()[i] - values[i]) / Math.abs(values[i]));
            assertEquals(0, Float.floatToRawIntBits(ten.values()[i]) & ((1 << 13) - 1), "13 low mantissa bits cleared");
        }
        assertTrue(worst <= Math.pow(2, -11) && worst > Math.pow(2, -13), "rounded to nearest, not cut: worst " + worst);
        assertTrue(Files.size(dir.resolve("ten.idx.gz")) < 0.7 * Files.size(dir.resolve("full.idx.gz")),
                Files.size(dir.resolve("ten.idx.gz")) + " vs " + Files.size(dir.resolve("full.idx.gz")) + " bytes");
        assertEquals(1.5f, IdxFiles.rounded(1.4999f, 1), "halves go up");
        assertEquals(-1.5f, IdxFiles.rounded(-1.4999f, 1), "negative values round by magnitude");
        assertEquals(2f, IdxFiles.rounded(1.9f, 1), "a carry moves the exponent");
        assertThrows(IllegalArgumentException.class, () -> IdxFiles.writeFloats(dir.resolve("x.idx"), dims, values, 0));
    }

    @Test
    void colourSetsAreStoredAsPlanarRgbAndReadBack(@TempDir Path dir) throws IOException {
        // two 1x2 RGB images, planes R, G, B one after another
        float[][] pixels = {{1f, 0f, 0f, 1f, 0f, 0f}, {0f, 0f, 0f, 0f, 1f, 1f}};
        LabeledImages set = new LabeledImages(pixels, new int[] {4, 9}, 1, 2, 3);
        IdxFiles.write(set, dir.resolve("i.idx"), dir.resolve("l.idx"));
        DataInputStream raw = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("i.idx"))));
        assertArrayEquals(new int[] {0x0804, 2, 3, 1, 2}, new int[] {raw.readInt(), raw.readInt(), raw.readInt(), raw.readInt(), raw.readInt()});
        assertArrayEquals(new byte[] {-1, 0, 0, -1, 0, 0}, raw.readNBytes(6));
        LabeledImages back = IdxFiles.read(dir.resolve("i.idx"), dir.resolve("l.idx"));
        assertEquals(3, back.channels());
        assertEquals(1, back.height());
        assertEquals(2, back.width());
        assertArrayEquals(new int[] {4, 9}, back.labels());
        assertArrayEquals(pixels[1], back.pixels()[1]);
        assertEquals(3, back.select(new int[] {1}).channels());
    }

    @Test
    void greySetsKeepTheThreeDimensionalLayoutOfMnist(@TempDir Path dir) throws IOException {
        IdxFiles.write(new LabeledImages(new float[1][6], new int[1], 2, 3), dir.resolve("i.idx"), dir.resolve("l.idx"));
        DataInputStream raw = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("i.idx"))));
        assertArrayEquals(new int[] {0x0803, 1, 2, 3}, new int[] {raw.readInt(), raw.readInt(), raw.readInt(), raw.readInt()});
        assertEquals(1, IdxFiles.read(dir.resolve("i.idx"), dir.resolve("l.idx")).channels());
    }

    @Test
    void imagesWithOtherThanOneOrThreeChannelsAreRejected(@TempDir Path dir) throws IOException {
        IdxFiles.write(new LabeledImages(new float[1][4], new int[1], 2, 2), dir.resolve("i.idx"), dir.resolve("l.idx"));
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve("two.idx")))) {
            out.writeInt(0x0804);
            out.writeInt(1);
            out.writeInt(2);
            out.writeInt(2);
            out.writeInt(2);
            out.write(new byte[8]);
        }
        IOException e = assertThrows(IOException.class, () -> IdxFiles.read(dir.resolve("two.idx"), dir.resolve("l.idx")));
        assertTrue(e.getMessage().contains("two.idx has 2 channels"), e.getMessage());
    }

    @Test
    void truncatedOrForeignFilesAreRejectedWithTheirNames(@TempDir Path dir) throws IOException {
        LabeledImages set = new LabeledImages(new float[3][4], new int[3], 2, 2);
        IdxFiles.write(set, dir.resolve("i.idx"), dir.resolve("l.idx"));
        byte[] images = Files.readAllBytes(dir.resolve("i.idx"));
        Files.write(dir.resolve("short.idx"), java.util.Arrays.copyOf(images, images.length - 3));
        IOException e = assertThrows(IOException.class, () -> IdxFiles.read(dir.resolve("short.idx"), dir.resolve("l.idx")));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(IOException.class, () -> IdxFiles.read(dir.resolve("l.idx"), dir.resolve("l.idx")));
        assertTrue(e.getMessage().contains("l.idx is not an IDX file"), e.getMessage());
    }

    @Test
    void mnistJsonDigitsAreReadWithTheirLabels(@TempDir Path dir) throws IOException {
        for (int d = 0; d <= 9; d++) {
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < 2 * 784; i++) {
                data.append(i == 0 ? "" : ",").append(i % 784 == 0 ? d / 10.0 : 0);
            }
            Files.writeString(dir.resolve(d + ".json"), "{\"data\":[" + data + "]}");
        }
        LabeledImages digits = MnistJsonDigits.read(dir);
        assertEquals(20, digits.size());
        assertEquals(9, digits.labels()[19]);
        assertEquals(0.9f, digits.pixels()[19][0], 1e-6f);
        Files.delete(dir.resolve("4.json"));
        IOException e = assertThrows(IOException.class, () -> MnistJsonDigits.read(dir));
        assertTrue(e.getMessage().contains("4.json") && e.getMessage().contains("npm install"), e.getMessage());
        Files.writeString(dir.resolve("4.json"), "garbage");
        e = assertThrows(IOException.class, () -> MnistJsonDigits.read(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("4.json") + " is not JSON (Unrecognized token 'garbage'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("Source:"), e.getMessage());
    }
}
