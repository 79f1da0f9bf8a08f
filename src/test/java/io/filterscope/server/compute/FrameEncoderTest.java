package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameEncoderTest {

    @Test
    void smallIntermediateFramesAreStoredAndLargerOrLastOnesCompressed() {
        // 28 px grey: 784 values, stored while the run goes on; compressed as the last frame.
        assertEquals(0, blockType(frame(1, 28, false)));
        assertCompressed(blockType(frame(1, 28, true)));
        // 26 px colour is 2,028 values, at most STORED_MAX; 27 px colour (2,187) is over it.
        assertEquals(0, blockType(frame(3, 26, false)));
        assertCompressed(blockType(frame(3, 27, false)));
        assertCompressed(blockType(frame(1, 46, false)));
    }

    @Test
    void imagesAtLeast64PxWideGoAsJpegUntilTheLastFrame() {
        assertEquals("image/jpeg", mime(frame(3, 64, false)));
        assertEquals("image/png", mime(frame(3, 64, true)));
        assertEquals("image/png", mime(frame(3, 63, false)));
    }

    private static void assertCompressed(int blockType) {
        assertNotEquals(0, blockType, "a stored block");
    }

    private static Buffer frame(int channels, int side, boolean last) {
        // A ramp along each row, which deflate compresses (zlib stores incompressible noise too).
        float[] planes = new float[channels * side * side];
        for (int i = 0; i < planes.length; i++) {
            planes[i] = (i % side) / (float) side;
        }
        return FrameEncoder.encode("r1", 3, 0, 0, 1.0, last, planes, channels, side, side);
    }

    private static String mime(Buffer frame) {
        int length = frame.getInt(0);
        String header = frame.getString(4, 4 + length, StandardCharsets.UTF_8.name());
        return header.replaceAll(".*\"mime\":\"([^\"]+)\".*", "$1");
    }

    /** BTYPE of the first deflate block of the frame's PNG's first IDAT chunk: 0 stored, 1 or 2 compressed. */
    private static int blockType(Buffer frame) {
        byte[] png = frame.getBytes(4 + frame.getInt(0), frame.length());
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        while (true) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            if (new String(type, StandardCharsets.US_ASCII).equals("IDAT")) {
                return (png[b.position() + 2] >> 1) & 3; // after the two-byte zlib header
            }
            b.position(b.position() + length + 4);
        }
    }
}
