package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.StepTensors;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.preset.Presets;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.factory.Nd4j;

class AscentRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MultiLayerNetwork MODEL = TestNets.small(DataType.FLOAT, 21);

    /** The plain preset's parts with these params, for a [0, 1] model. */
    private static RunParts params(String json) throws Exception {
        return params(InputSpace.UNIT, json);
    }

    private static RunParts params(InputSpace space, String json) throws Exception {
        return Presets.PLAIN.build(Presets.PLAIN.defaults().with(JSON.readTree(json)), space);
    }

    private static AscentRun run(List<Objective> objectives, int steps, long seed, RunParts p) {
        Network net = Dl4jReader.read(MODEL).compile(DataType.FLOAT, objectives.size(), new long[] {1, p.inputSize(12), p.inputSize(12)});
        return new AscentRun(net, objectives, p, 12, steps, seed);
    }

    private static StepResult runToEnd(AscentRun run) {
        StepResult last = null;
        while (!run.finished()) {
            last = run.step();
        }
        return last;
    }

    /** Reads layer c3 but reports a script's values, one a step, and pushes no gradient: a run's course made to order. */
    private static final class Scripted implements Objective {
        private final double[] values;
        private int step;

        Scripted(double... values) {
            this.values = values;
        }

        @Override
        public Set<String> layers() {
            return Set.of("c3");
        }

        @Override
        public double evaluate(StepTensors tensors, int image, double weight) {
            return values[step++];
        }

        @Override
        public String label() {
            return "scripted";
        }
    }

    /**
     * Dead is judged on the last step, not the best: a filter that rose above zero on the way and fell silent again is
     * dead (example pictures that never make it fire agree), and one that was silent until its last step is not.
     * Without example pictures nothing is called dead: a class logit of -0.415 after 2 steps was, on a model without
     * them, under a legend saying "fires on no example picture".
     */
    @Test
    void aFilterSilentInItsLastStepIsDeadWhateverItsBestStep() throws Exception {
        RunParts p = params("{}");
        ExamplePictures silent = new ExamplePictures() {
            @Override
            public float[][] topMeans(List<Objective> objectives, int size, int k) {
                throw new UnsupportedOperationException("these runs start from noise");
            }

            @Override
            public boolean scoreSlice(List<Objective> objectives, int size) {
                return true;
            }

            @Override
            public Boolean fires(Objective objective) {
                return false;
            }
        };
        RunParts withSilentExamples = new RunParts(p.parameterization(), p.optimizer(), p.transforms(), p.regularizers(),
                p.penalty(), p.leak(), silent);
        AscentRun run = run(List.of(new Scripted(0.5, -0.1, -0.2), new Scripted(-0.1, -0.1, 0.3)), 3, 1, withSilentExamples);
        runToEnd(run);
        assertTrue(run.dead(0), "woke at step 1, silent at the end");
        assertFalse(run.dead(1), "silent until it woke at the end");
        AscentRun unjudged = run(List.of(new Scripted(0.5, -0.1, -0.415)), 3, 1, p);
        runToEnd(unjudged);
        assertFalse(unjudged.dead(0), "no example pictures to say it fires on none");
    }

    @Test
    void bgrModelMaximizingItsBlueInputShowsABlueImage() throws Exception {
        // A 1x1 convolution that reads only model channel 0, which in a caffe-style BGR model is blue.
        MultiLayerNetwork pick = new MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).name("pick").nOut(1)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(8, 8, 3)).build());
        pick.init();
        pick.getLayer(0).setParam("W", org.nd4j.linalg.factory.Nd4j.createFromArray(1f, 0f, 0f).reshape(1, 3, 1, 1));
        pick.getLayer(0).setParam("b", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 1, 1));
        Network net = Dl4jReader.read(pick).compile(DataType.FLOAT, 1, new long[] {3, 8, 8});
        AscentRun run = new AscentRun(net, List.of(new ChannelObjective("pick", 0)), params(InputSpace.CAFFE_BGR, "{\"lr\":0.05}"),
                8, 40, 1);
        INDArray rgb = runToEnd(run).images().image(0);
        double red = rgb.get(NDArrayIndex.point(0)).meanNumber().doubleValue();
        double green = rgb.get(NDArrayIndex.point(1)).meanNumber().doubleValue();
        double blue = rgb.get(NDArrayIndex.point(2)).meanNumber().doubleValue();
        assertTrue(blue > 0.99 && Math.abs(red - 0.5) < 0.05 && Math.abs(green - 0.5) < 0.05,
                "display RGB means " + red + ", " + green + ", " + blue);
        // The model's own input is BGR: its channel 0 sits at the top of blue's caffe range.
        assertEquals(InputSpace.CAFFE_BGR.upper(3)[0], run.inputImages().get(NDArrayIndex.point(0), NDArrayIndex.point(0))
                .meanNumber().doubleValue(), 1.0);
    }

    @Test
    void aValueOrGradientThatTurnsNanFailsTheRunNamingTheStepAsFramesCountIt() throws Exception {
        AscentRun run = run(List.of(new ChannelObjective("c3", 0)), 5, 1, params("{}"));
        assertEquals(1, run.step().step(), "frames count steps from 1");
        INDArray seen = Nd4j.create(DataType.FLOAT, run.parts().inputShape(run.inputImages().shape()));
        run.begin(seen);
        RunFailedException nan = assertThrows(RunFailedException.class, () -> run.end(new double[] {1}, seen.like().assign(Double.NaN)));
        assertEquals("the gradient became NaN or infinite at step 2", nan.getMessage());
        RunFailedException value = assertThrows(RunFailedException.class, () -> run.end(new double[] {Double.NaN}, seen.like()));
        assertEquals("the objective became NaN at step 2", value.getMessage());
    }

    @Test
    void batchedRunEqualsSeparateRuns() throws Exception {
        RunParts p = params("{\"blurSigma\":0.8,\"blurEvery\":2,\"l2Decay\":0.98,\"jitter\":1,\"tv\":0.1,\"lr\":0.05}");
        List<Objective> filters = List.of(new ChannelObjective("c3", 0), new ChannelObjective("c3", 3), new ChannelObjective("c2", 4));
        StepResult batched = runToEnd(run(filters, 12, 5, p));
        for (int i = 0; i < filters.size(); i++) {
            StepResult alone = runToEnd(run(List.of(filters.get(i)), 12, 5, p));
            INDArray together = batched.images().image(i);
            assertEquals(0, together.sub(alone.images().image(0)).amaxNumber().doubleValue(), 1e-4,
                    "image " + i);
            assertEquals(alone.values()[0], batched.values()[i], 1e-4 * Math.max(1, Math.abs(alone.values()[0])));
        }
    }

    @Test
    void sameSeedGivesTheSameImagesAndAnotherSeedDoesNot() throws Exception {
        RunParts p = params("{\"jitter\":2,\"rotate\":5}");
        List<Objective> o = List.of(new ChannelObjective("c3", 1));
        INDArray a = runToEnd(run(o, 8, 1, p)).images().array();
        INDArray b = runToEnd(run(o, 8, 1, p)).images().array();
        INDArray c = runToEnd(run(o, 8, 2, p)).images().array();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void aStepsImagesStayAsTheyWereWhileLaterStepsRun() throws Exception {
        // The frame encoder reads a step's images after the next step began: they must not share memory with the step's.
        for (String config : List.of("{}", "{\"parameterization\":\"fft\",\"optimizer\":\"adam\"}")) {
            AscentRun run = run(List.of(new ChannelObjective("c3", 1), new ChannelObjective("c3", 2)), 6, 1, params(config));
            StepResult first = run.step();
            float[][] kept = java.util.Arrays.stream(first.images().planes()).map(float[]::clone).toArray(float[][]::new);
            StepResult later = runToEnd(run);
            for (int i = 0; i < kept.length; i++) {
                assertArrayEquals(kept[i], first.images().planes()[i], config + ": image " + i + " of step 1");
            }
            assertFalse(java.util.Arrays.equals(kept[0], later.images().planes()[0]), config + ": the images did change");
        }
    }

    @Test
    void ascentRaisesTheObjective() throws Exception {
        for (String config : List.of("{}", "{\"optimizer\":\"adam\"}", "{\"parameterization\":\"fft\",\"optimizer\":\"adam\"}")) {
            AscentRun run = run(List.of(new ChannelObjective("c3", 2)), 40, 3, params(config));
            double first = run.step().values()[0];
            double last = runToEnd(run).values()[0];
            assertTrue(last > first * 1.2 + 1e-3, config + ": objective went from " + first + " to " + last);
        }
    }

    @Test
    void paramsChangedMidRunApplyFromTheNextStep() throws Exception {
        AscentRun run = run(List.of(new ChannelObjective("c3", 2)), 10, 3, params("{\"lr\":0.05}"));
        run.step();
        INDArray before = run.inputImages().dup();
        run.update(params("{\"lr\":0.000001}"));
        run.step();
        double tiny = run.inputImages().sub(before).amaxNumber().doubleValue();
        before = run.inputImages().dup();
        run.update(params("{\"lr\":0.05}"));
        run.step();
        double normal = run.inputImages().sub(before).amaxNumber().doubleValue();
        assertTrue(tiny < 1e-4 && normal > 100 * tiny, "tiny " + tiny + ", normal " + normal);
        assertEquals(3, run.stepsDone());
    }

    @Test
    void parameterizationCannotChangeMidRun() throws Exception {
        AscentRun run = run(List.of(new ChannelObjective("c3", 2)), 10, 3, params("{}"));
        assertThrows(UserError.class, () -> run.update(params("{\"parameterization\":\"fft\"}")));
    }

    @Test
    void imagesStayValidInputs() throws Exception {
        AscentRun run = run(List.of(new ChannelObjective("c1", 1)), 30, 3, params("{\"lr\":0.5}"));
        StepResult last = runToEnd(run);
        assertTrue(run.inputImages().minNumber().doubleValue() >= 0 && run.inputImages().maxNumber().doubleValue() <= 1);
        assertEquals(30, last.step());
    }

    @Test
    void leakyReluStartWakesAFilterThatIsSilentOnTheStartImage() throws Exception {
        MultiLayerNetwork model = TestNets.small(DataType.FLOAT, 21);
        // Filter 0 of c1 outputs nothing on mid-grey images: its bias is far below what the pixels add.
        double reach = model.getLayer(0).getParam("W").get(NDArrayIndex.point(0)).sumNumber().doubleValue();
        model.getLayer(0).getParam("b").putScalar(0, -Math.abs(reach) * 0.5 - 0.2);
        List<Objective> silent = List.of(new ChannelObjective("c1", 0));
        java.util.function.Function<RunParts, Double> finalValue = p -> {
            Network net = Dl4jReader.read(model).compile(DataType.FLOAT, 1, new long[] {1, 12, 12});
            AscentRun run = new AscentRun(net, silent, p, 12, 40, 1);
            assertEquals(0.0, run.step().values()[0], "the filter starts silent");
            return runToEnd(run).values()[0];
        };
        assertEquals(0.0, finalValue.apply(params("{\"lr\":0.05}")), "without a leak nothing moves");
        assertTrue(finalValue.apply(params("{\"lr\":0.05,\"leakyRelu\":0.1,\"leakySteps\":20}")) > 0);
    }

    @Test
    void aPaddedRunShowsTheNetworkAGreyBorderedImageAndStillRaisesTheObjective() throws Exception {
        RunParts padded = params("{\"pad\":3,\"lr\":0.05}");
        assertEquals(18, padded.inputSize(12));
        AscentRun run = run(List.of(new ChannelObjective("c3", 2)), 30, 3, padded);
        double first = run.step().values()[0];
        StepResult last = runToEnd(run);
        assertTrue(last.values()[0] > first * 1.2 + 1e-3, "objective went from " + first + " to " + last.values()[0]);
        assertArrayEquals(new long[] {1, 1, 12, 12}, last.images().array().shape(), "frames show the image, not its border");
    }

    @Test
    void aTotalVariationPenaltyGivesASmootherImage() throws Exception {
        List<Objective> o = List.of(new ChannelObjective("c3", 2));
        INDArray free = runToEnd(run(o, 30, 3, params("{\"lr\":0.05}"))).images().array();
        INDArray smooth = runToEnd(run(o, 30, 3, params("{\"lr\":0.05,\"tv\":20}"))).images().array();
        assertTrue(variation(smooth) < 0.7 * variation(free), variation(smooth) + " vs " + variation(free));
    }

    private static double variation(INDArray images) {
        INDArray dx = images.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(1, 12))
                .sub(images.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 11)));
        return dx.mul(dx).sumNumber().doubleValue();
    }

    @Test
    void padIsFixedForARunWhilePenaltiesMayChange() throws Exception {
        AscentRun run = run(List.of(new ChannelObjective("c3", 2)), 10, 3, params("{\"pad\":2}"));
        run.step();
        UserError e = assertThrows(UserError.class, () -> run.update(params("{\"pad\":4}")));
        assertTrue(e.getMessage().contains("pad cannot change"), e.getMessage());
        run.update(params("{\"pad\":2,\"tv\":1,\"optimizer\":\"adam\"}"));
        run.step();
        assertEquals(2, run.stepsDone());
    }
}
