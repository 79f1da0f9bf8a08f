package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A step's estimate counts the network's passes and the images' own work, each at its device rate: large images
 * of a shallow layer (8 of emoji-cnn's conv1 at 512 px took 6.4-9.8 s a step, nearly all of it their Fourier
 * images) come out over the 3 s limit at the fastest rates measured on 2 cores, while the page's galleries at the
 * models' own sizes stay within it at the slowest.
 */
class DeviceSpeedTest {
    /** The fastest rates measured on this 2-core machine (network calibration; images' work in steps of 128-512 px). */
    private static final DeviceSpeed FAST = new DeviceSpeed(3.2e10, 5.8e9);
    /** The slowest network calibration seen (docs/protocol.md) and the slowest image rate measured. */
    private static final DeviceSpeed SLOW = new DeviceSpeed(1.1e10, 2.3e9);
    private static final ModelStore STORE = new ModelStore(Path.of("models"), NetworkCache.unbounded());

    /** The work of a step of a run of {@code filters} filters of {@code layer}, at {@code size} px (null: the model's), as the worker counts it. */
    private static DeviceSpeed.Work work(String model, String layer, int filters, Integer size) throws Exception {
        String list = IntStream.range(0, filters).mapToObj(Integer::toString).collect(Collectors.joining(","));
        RunRequest request = RunRequest.parse((ClientMessage.Start) Protocol.decode("{\"op\":\"start\",\"model\":\"" + model + "\""
                + (size == null ? "" : ",\"size\":" + size) + ",\"objective\":{\"type\":\"channel\",\"layer\":\"" + layer
                + "\",\"filters\":[" + list + "]}}"), STORE::load);
        var parts = request.parts();
        return Batch.Key.of(request, parts).work(filters, request.imageMultiplyAdds(parts));
    }

    @Test
    void eightImagesOfConv1At512PxAreOverTheLimitEvenAtTheFastestRates() throws Exception {
        DeviceSpeed.Work work = work("emoji-cnn", "conv1", 8, 512);
        assertTrue(work.image() > 5 * work.network(), "the images' Fourier transforms are most of the work: " + work);
        assertTrue(FAST.seconds(work) > 3, "over 3 s: " + FAST.seconds(work));
        assertTrue(FAST.seconds(work("emoji-cnn", "conv1", 2, 512)) < 3, "2 images of 512 px fit: " + FAST.seconds(work("emoji-cnn", "conv1", 2, 512)));
    }

    @Test
    void theLargestGalleriesAtTheModelsOwnSizeFitEvenAtTheSlowestRates() throws Exception {
        // The page's largest: emoji-cnn's 160 filters of conv6, fashion-cnn's 32 of conv2, at their own size (a prior's code: no Fourier work).
        for (DeviceSpeed.Work work : new DeviceSpeed.Work[] {work("emoji-cnn", "conv6", 160, null), work("fashion-cnn", "conv2", 32, null)}) {
            assertEquals(0, work.image(), "images of a learned prior count no Fourier work");
            assertTrue(SLOW.seconds(work) < 3, work + ": " + SLOW.seconds(work));
        }
    }

    @Test
    void onlyConvolutionsOfAnImagesFewChannelsOnLargePlanesAreThin() throws Exception {
        assertTrue(work("emoji-cnn", "conv1", 8, 256).thinValues() > 0, "conv1 reads 3 channels of 280 px planes");
        assertTrue(work("mnist-cnn", "conv2", 2, 256).thinValues() > 0, "mnist-cnn's conv1 reads 1 channel");
        assertEquals(0, work("emoji-cnn", "conv6", 160, null).thinValues(), "64 px planes are not large");
        assertEquals(work("emoji-cnn", "conv1", 8, 512).thinValues(), work("emoji-cnn", "conv6", 8, 512).thinValues(),
                "deeper layers read many channels: only conv1 counts");
    }

    @Test
    void theEstimateGrowsWithImagesAndWithSize() throws Exception {
        double previous = 0;
        for (int size : new int[] {96, 128, 192, 256, 384, 512}) {
            double seconds = FAST.seconds(work("emoji-cnn", "conv1", 4, size));
            assertTrue(seconds > previous, size + " px: " + seconds + " after " + previous);
            previous = seconds;
        }
        previous = 0;
        for (int images = 1; images <= 16; images *= 2) {
            double seconds = FAST.seconds(work("emoji-cnn", "conv3", images, 256));
            assertTrue(seconds > previous, images + " images: " + seconds + " after " + previous);
            previous = seconds;
        }
    }

    @Test
    void aStepRaisesOnlyTheRateOfThePartItMostlyWas() {
        DeviceSpeed speed = new DeviceSpeed(1e10, 1e9);
        speed.observe(new DeviceSpeed.Work(1_000_000_000L, 0, 4_000_000_000L), 1_000_000_000L);
        assertEquals(1e10, speed.networkRate(), "the image work was most of the second");
        assertEquals(4e9 / 0.9, speed.imageRate(), 1e3, "4e9 in what the network's 0.1 s left");
        speed.observe(new DeviceSpeed.Work(40_000_000_000L, 0, 0), 2_000_000_000L);
        assertEquals(2e10, speed.networkRate(), 1e3);
        speed.observe(new DeviceSpeed.Work(40_000_000_000L, 0, 0), 10_000_000L);
        assertEquals(2e10, speed.networkRate(), 1e3, "a step too short to tell is not counted");
        speed.observe(new DeviceSpeed.Work(1_000_000_000L, 0, 0), 2_000_000_000L);
        assertEquals(2e10, speed.networkRate(), 1e3, "a slower step lowers no rate");
    }
}
