package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.filterscope.engine.Backend;
import io.filterscope.engine.TestNets;
import io.filterscope.engine.ThreadTicks;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.FutureTask;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.nativeblas.NativeOpsHolder;

class NetworkTest {
    /**
     * Compiles LeNet for a batch of 32 on a fresh thread set as one of {@code parts} threads that split a batch, then
     * steps its forward passes as one part of a batch split over every core (its ops on one thread), and returns how many
     * threads of its own (the thread and its OpenMP workers) did work meanwhile.
     */
    private static long threadsAtWork(String name, int parts) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        ModelGraph graph = Dl4jReader.read(io.filterscope.train.LeNet.create(28, 1, 10, 0));
        FutureTask<Long> task = new FutureTask<>(() -> {
            Backend.splitCores(parts);
            Network net = graph.compile(DataType.FLOAT, 32, new long[] {1, 28, 28}, graph.size());
            assertTrue(net.activationVolume() >= 500_000, "large enough to fan out: " + net.activationVolume());
            Backend.splitCores(cores);
            Backend.fitThreadsTo(net.activationVolume());
            assertEquals(1, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
            net.forward(List.of("conv4"));
            Map<String, Long> before = ThreadTicks.ofThreadsNamed(name);
            for (long end = System.nanoTime() + 400_000_000L; System.nanoTime() < end; ) {
                net.forward(List.of("conv4"));
            }
            return ThreadTicks.atWork(before, ThreadTicks.ofThreadsNamed(name));
        });
        Thread thread = new Thread(task, name);
        thread.start();
        return task.get();
    }

    /**
     * oneDNN fixes a primitive's threads when it is made, so a network is compiled for the threads its steps will ask for
     * on the thread that compiles it: one part of a batch split over the cores must not fan out to them all.
     */
    @Test
    void aNetworkIsMadeForTheThreadsItsStepsTakeOnTheThreadThatCompilesIt() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        assumeTrue(cores >= 2 && !Backend.name().equals("cuda") && ThreadTicks.available(), "one thread either way");
        assertEquals(1, threadsAtWork("net-for-a-part", cores), "compiled for one core: the thread alone");
        assertEquals(cores, threadsAtWork("net-for-all", 1), "compiled for every core: its convolutions still take them all");
        ModelGraph small = Dl4jReader.read(TestNets.small(DataType.FLOAT, 3));
        int[] seen = new int[2];
        Thread compiler = new Thread(() -> {
            var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
            ops.setOmpNumThreads(1);
            small.compile(DataType.FLOAT, 1000, new long[] {1, 12, 12}, small.size()); // large: compiled for every core
            seen[0] = ops.ompGetMaxThreads();
            ops.setOmpNumThreads(cores);
            small.compile(DataType.FLOAT, 1, new long[] {1, 12, 12}, small.size()); // small: compiled for one
            seen[1] = ops.ompGetMaxThreads();
        });
        compiler.start();
        compiler.join();
        assertEquals(1, seen[0], "the compiling thread's own setting is left as it was");
        assertEquals(cores, seen[1], "the compiling thread's own setting is left as it was");
    }

    @Test
    void forwardMatchesDl4jLayerByLayer() {
        MultiLayerNetwork dl4j = TestNets.small(DataType.DOUBLE, 7);
        Network net = Dl4jReader.read(dl4j).compile(DataType.DOUBLE, 2, new long[] {1, 12, 12});
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 1, 12, 12);
        net.input().assign(x);
        net.forward(Set.of("out"));
        List<INDArray> reference = dl4j.feedForward(x, false);
        String[] names = {"c1", "c2", "p1", "c3", "d1"};
        for (int i = 0; i < names.length; i++) {
            INDArray ours = net.output(names[i]);
            INDArray theirs = reference.get(i + 1);
            assertEquals(0, ours.sub(theirs.reshape(ours.shape())).amaxNumber().doubleValue(), 1e-10, names[i]);
        }
        // The output layer is exposed before its softmax: softmax of our logits is DL4J's output.
        INDArray probabilities = org.nd4j.linalg.ops.transforms.Transforms.softmax(net.output("out"), true);
        assertEquals(0, probabilities.sub(reference.get(6)).amaxNumber().doubleValue(), 1e-10);
    }

    @Test
    void listsLayersWithChannelsAndShapes() {
        Network net = Dl4jReader.read(TestNets.small(DataType.FLOAT, 1)).compile(DataType.FLOAT, 1, new long[] {1, 12, 12});
        assertEquals(List.of("c1", "c2", "p1", "c3", "d1", "out"), net.layers().stream().map(LayerInfo::name).toList());
        assertEquals(List.of(4L, 10L, 10L), net.layer("c1").outputShape());
        assertEquals(List.of(5L, 5L, 5L), net.layer("c2").outputShape());
        assertEquals(3, net.layer("out").channels());
        assertTrue(net.layer("c1").kind().contains("conv2d 3x3"), net.layer("c1").kind());
    }

    @Test
    void inputGradientMatchesFiniteDifferencesWithGradientsAtTwoLayers() {
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 11)).compile(DataType.DOUBLE, 2, new long[] {1, 12, 12});
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 1, 12, 12).subi(0.3);
        FiniteDifferences.assertInputGradient(net, x, Map.of("c1", Nd4j.randn(DataType.DOUBLE, 2, 4, 10, 10),
                "out", Nd4j.randn(DataType.DOUBLE, 2, 3)), 6, 1e-6);
    }

    @Test
    void unknownLayerIsNamedInTheError() {
        Network net = Dl4jReader.read(TestNets.small(DataType.FLOAT, 1)).compile(DataType.FLOAT, 1, new long[] {1, 12, 12});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(Set.of("conv9")));
        assertTrue(e.getMessage().contains("conv9") && e.getMessage().contains("c1"), e.getMessage());
    }

    @Test
    void largerImagesKeepTheConvolutionalLayersAndExplainWhyDenseOnesAreGone() {
        Network net = Dl4jReader.read(TestNets.small(DataType.FLOAT, 1)).compile(DataType.FLOAT, 1, new long[] {1, 20, 20});
        assertEquals(List.of("c1", "c2", "p1", "c3"), net.layers().stream().map(LayerInfo::name).toList());
        assertEquals(List.of(6L, 8L, 8L), net.layer("c3").outputShape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(Set.of("out")));
        assertTrue(e.getMessage().contains("not available for 20x20 images"), e.getMessage());
    }

    /**
     * A run compiles its network only down to the deepest layer it reads (budget15e); one that reads no layer (a
     * penalty on the image alone) gets the first layer, so there is still a network: it once asked for depth 0.
     */
    @Test
    void aNetworkCompiledToADepthHasOnlyTheLayersBeforeIt() {
        ModelGraph graph = Dl4jReader.read(TestNets.small(DataType.FLOAT, 1));
        long[] chw = {1, 12, 12};
        Network whole = graph.compile(DataType.FLOAT, 2, chw);
        assertEquals(graph.size(), whole.depth(Set.of("out")));
        int toC2 = whole.depth(Set.of("c1", "c2"));
        Network early = graph.compile(DataType.FLOAT, 2, chw, toC2);
        assertEquals(List.of("c1", "c2"), early.layers().stream().map(LayerInfo::name).toList());
        assertEquals(whole.activationVolume(2, 12, 12, toC2), early.activationVolume(), "the estimate counts what is allocated");
        assertTrue(early.activationVolume() < whole.activationVolume());

        assertEquals(whole.depth(Set.of("c1")), whole.depth(Set.of()), "no layer read: the first layer's depth");
        Network penaltyOnly = graph.compile(DataType.FLOAT, 2, chw, whole.depth(Set.of()));
        assertEquals(List.of("c1"), penaltyOnly.layers().stream().map(LayerInfo::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> graph.compile(DataType.FLOAT, 2, chw, 0));
        assertEquals("depth 0 for a network of " + graph.size() + " stages", e.getMessage());
    }

    /**
     * The rows kept for runs sharing a batch are the views {@link Network#rows} makes, the same objects step after step
     * (also when asked for inside a step's workspace), their writes landing in the batch; an array of a step's workspace
     * gets a new view each time.
     */
    @Test
    void keptRowsAreTheSameViewsOfTheNetworksArraysStepAfterStep() {
        Network net = Dl4jReader.read(TestNets.small(DataType.FLOAT, 3)).compile(DataType.FLOAT, 4, new long[] {1, 12, 12});
        INDArray first = io.filterscope.engine.Workspaces.step(() -> net.keptRows(net.input(), 1, 3));
        INDArray again = io.filterscope.engine.Workspaces.step(() -> net.keptRows(net.input(), 1, 3));
        assertTrue(first == again, "one view for the same rows");
        assertEquals(Network.rows(net.input(), 1, 3).shapeInfoJava().length, first.shapeInfoJava().length);
        assertTrue(java.util.Arrays.equals(Network.rows(net.input(), 1, 3).shapeInfoDataBuffer().asLong(),
                first.shapeInfoDataBuffer().asLong()), "the view rows makes");
        first.assign(7);
        assertEquals(7 * 2 * 144, net.input().sumNumber().doubleValue(), "written into rows 1 and 2 of the input");
        assertTrue(net.keptRows(net.input(), 0, 1) != first);
        io.filterscope.engine.Workspaces.step(() -> {
            INDArray scratch = Nd4j.create(DataType.FLOAT, 4, 3);
            assertTrue(scratch.isAttached(), "a step's array");
            assertTrue(net.keptRows(scratch, 0, 2) != net.keptRows(scratch, 0, 2), "not kept past its step");
            return null;
        });
    }

    /**
     * An image's class values and input gradient through a dense layer are the same bits alone and in a batch: a BLAS
     * product's kernels change with the row count, so fashion-cnn's output differed by up to 2e-6 at batch 2-8 until
     * small dense layers were multiplied row by row ({@code DenseStage.ROW_BY_ROW_MAX}).
     */
    @Test
    void aDenseLayerGivesAnImageTheSameValuesAndGradientAloneAndInABatch() {
        io.filterscope.model.LoadedModel model = new io.filterscope.model.ModelStore(java.nio.file.Path.of("models")).load("fashion-cnn");
        Nd4j.getRandom().setSeed(5);
        INDArray images = Nd4j.rand(DataType.FLOAT, 5, 1, 28, 28);
        float[][] alone = null;
        for (int batch : new int[] {1, 5}) {
            Network net = model.compile(batch, 28);
            net.input().assign(Network.rows(images, 0, batch));
            net.forward(List.of("output"));
            net.clearGradients(List.of("output"));
            net.gradient("output").get(NDArrayIndex.point(0), NDArrayIndex.point(3)).assign(1);
            float[][] got = {Network.rows(net.output("output"), 0, 1).dup().data().asFloat(),
                    Network.rows(net.backward(List.of("output"), 0.0), 0, 1).dup().data().asFloat()};
            if (alone == null) {
                alone = got;
            } else {
                assertArrayEquals(alone[0], got[0], "class values of image 0 at batch " + batch);
                assertArrayEquals(alone[1], got[1], "input gradient of image 0 at batch " + batch);
            }
        }
    }

    /**
     * An image's masked sum (a channel objective's value) is the same bits for a whole array of one image stored channels
     * last and for that image's row of a batch: the whole array's products were summed in [h, w, c] order, a row's in
     * [c, h, w] order, so a run that joined a batch in any row but the first got other last bits than alone.
     */
    @Test
    void maskedSumsOfAnImageAreTheSameForAWholeArrayAndForItsRowOfABatch() {
        Nd4j.getRandom().setSeed(11);
        long[] shape = {3, 64, 14, 14};
        INDArray output = ChannelsLast.create(DataType.FLOAT, shape).assign(Nd4j.rand(DataType.FLOAT, shape));
        INDArray mask = ChannelsLast.create(DataType.FLOAT, shape).assign(Nd4j.rand(DataType.FLOAT, shape));
        long[] one = {1, 64, 14, 14};
        INDArray aloneOutput = ChannelsLast.create(DataType.FLOAT, one).assign(Network.rows(output, 1, 2));
        INDArray aloneMask = ChannelsLast.create(DataType.FLOAT, one).assign(Network.rows(mask, 1, 2));
        double alone = Network.maskedSums(aloneOutput, ChannelsLast.create(DataType.FLOAT, one), aloneMask)[0];
        double inBatch = Network.maskedSums(Network.rows(output, 1, 2), Network.rows(ChannelsLast.create(DataType.FLOAT, shape), 1, 2),
                Network.rows(mask, 1, 2))[0];
        assertEquals(alone, inBatch, 0.0, "image 1 alone and as row 1 of 3");
        assertEquals(Network.maskedSums(output, ChannelsLast.create(DataType.FLOAT, shape), mask)[1], alone, 0.0, "and in the whole batch");
    }
}
