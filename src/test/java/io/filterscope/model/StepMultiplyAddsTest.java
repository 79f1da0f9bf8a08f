package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.LayerInfo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The work of one ascent step that the step-time limit is estimated from ({@link LoadedModel#multiplyAddsFor}):
 * counted from the layers' shapes as listed, proportional to the images and to their pixels, and larger for deeper
 * layers.
 */
class StepMultiplyAddsTest {
    private static LoadedModel emoji;

    @BeforeAll
    static void load() {
        emoji = new ModelStore(Path.of("models"), NetworkCache.unbounded()).load("emoji-cnn");
    }

    /**
     * The count from emoji-cnn's layer listing: each 3x3 convolution multiplies 9 values of each channel of the
     * layer before into each of its outputs; ReLU and pooling one operation per output value; twice all that for the
     * backward pass to the image.
     */
    @Test
    void aStepCountsTheLayersUpToItsTargetForwardAndBackward() {
        long forward = 0;
        long channels = emoji.channels();
        for (LayerInfo layer : emoji.layers()) {
            long values = layer.outputShape().stream().reduce(1L, Math::multiplyExact);
            forward += layer.kind().startsWith("conv2d 3x3") ? values * channels * 9 : values;
            channels = layer.channels();
            if (layer.name().equals("conv6")) {
                break;
            }
        }
        assertEquals(2 * forward, emoji.multiplyAddsFor(1, 64, List.of("conv6")));
        // By hand: the six convolutions 68,714,496 products (conv1 64*64*24*27 ... conv6 8*8*160*1440), the five ReLUs
        // and three poolings before conv6 249,856 values.
        assertEquals(2 * (68_714_496L + 249_856L), emoji.multiplyAddsFor(1, 64, List.of("conv6")));
    }

    @Test
    void workIsProportionalToImagesAndPixels() {
        long one = emoji.multiplyAddsFor(1, 64, List.of("conv6"));
        assertEquals(64 * one, emoji.multiplyAddsFor(64, 64, List.of("conv6")));
        // Padded 3x3 convolutions and 2x2 pooling: four times the pixels, four times the work.
        assertEquals(4 * one, emoji.multiplyAddsFor(1, 128, List.of("conv6")));
        assertEquals(16 * 64 * one, emoji.multiplyAddsFor(64, 256, List.of("conv6")));
    }

    @Test
    void deeperTargetsCostMoreAndSeveralCountTheirSharedLayersOnce() {
        long conv4 = emoji.multiplyAddsFor(1, 64, List.of("conv4"));
        long conv6 = emoji.multiplyAddsFor(1, 64, List.of("conv6"));
        assertTrue(emoji.multiplyAddsFor(1, 64, List.of("conv1")) < conv4 && conv4 < conv6);
        assertEquals(conv6, emoji.multiplyAddsFor(1, 64, List.of("conv4", "conv6")));
    }
}
