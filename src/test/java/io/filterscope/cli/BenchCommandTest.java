package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.model.FixtureModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;

/** {@code bench} ends each mode with one machine-readable line of figures; these are its shapes, not its speed. */
class BenchCommandTest {
    private static final String TIMING = "timing steps (no --stream or --runs)";
    private static final String MEMORY = "measuring memory (--runs)";
    private static final String STREAMING = "streaming (--stream)";

    /** The {@code key=value} pairs of the line that starts with {@code prefix}. */
    private static Map<String, String> figures(String out, String prefix) {
        String line = out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in:\n" + out));
        Map<String, String> values = new HashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(line);
        while (m.find()) {
            values.put(m.group(1), m.group(2));
        }
        return values;
    }

    @Test
    void stepTimingOfARandomLeNetPrintsStepsPerSecond() throws Exception {
        Map<String, String> f = figures(CommandLine.run("bench", "--model", "lenet", "--batch", "2", "--steps", "4"), "filterscope steps_per_s=");
        double stepsPerSecond = Double.parseDouble(f.get("steps_per_s"));
        assertTrue(stepsPerSecond > 0, f.toString());
        assertEquals(2 * stepsPerSecond, Double.parseDouble(f.get("filters_per_s")), 0.002 * stepsPerSecond + 0.002, "two filters a step");
        assertEquals(1000 / stepsPerSecond, Double.parseDouble(f.get("ms_per_step")), 0.01 * 1000 / stepsPerSecond + 0.002);
        assertEquals("28", f.get("size"));
        assertEquals("2", f.get("batch"));
        assertEquals("conv4", f.get("layer"));
    }

    @Test
    void aWarmUpStepsForItsSecondsBeforeTheTimedSteps() throws Exception {
        String out = CommandLine.run("bench", "--model", "lenet", "--batch", "2", "--steps", "2", "--warm-up", "1");
        Matcher m = Pattern.compile("# warm-up: (\\d+) steps in ([\\d.]+) s before the timed ones").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Long.parseLong(m.group(1)) > 5, "more steps than one run's 5 in a second: " + m.group(1));
        assertTrue(Double.parseDouble(m.group(2)) >= 1.0, m.group(2));
        assertEquals("2", figures(out, "filterscope steps_per_s=").get("batch"));
        assertTrue(!CommandLine.run("bench", "--model", "lenet", "--steps", "2").contains("# warm-up"), "none unless asked for");
    }

    @Test
    void aWarmUpIsRefusedWhereNoStepsAreTimedInThisProcess() {
        assertEquals("bench: --warm-up is for " + TIMING + ", not for " + MEMORY,
                assertThrows(UserError.class, () -> CommandLine.run("bench", "--model", "lenet", "--runs", "2", "--warm-up", "1")).getMessage());
        assertEquals("bench: --warm-up is for " + TIMING + ", not for " + STREAMING + ": repeat an N of --concurrent instead, whose "
                + "first round is left out as a warm-up",
                assertThrows(UserError.class, () -> CommandLine.run("bench", "--stream", "--warm-up", "1")).getMessage());
        assertEquals("bench: --warm-up must be between 0 and 600, got 601",
                assertThrows(UserError.class, () -> CommandLine.run("bench", "--model", "lenet", "--warm-up", "601")).getMessage());
        assertEquals("bench: --warm-up must be between 0 and 600, got -1",
                assertThrows(UserError.class, () -> CommandLine.run("bench", "--stream", "--warm-up", "-1")).getMessage());
    }

    /** A flag given in a mode that does not read it is one line naming the flag and the mode, before anything is run. */
    @Test
    void aFlagTheModeDoesNotReadIsRefusedNamingTheFlagAndTheMode() {
        Map<List<String>, String> refused = new LinkedHashMap<>();
        refused.put(List.of("--model", "lenet", "--preset", "plain"), "bench: --preset is for " + STREAMING + ", not for " + TIMING);
        refused.put(List.of("--model", "lenet", "--concurrent", "1"), "bench: --concurrent is for " + STREAMING + ", not for " + TIMING);
        refused.put(List.of("--model", "lenet", "--filter", "3"), "bench: --filter is for " + STREAMING + ", not for " + TIMING);
        refused.put(List.of("--model", "lenet", "--runs", "2", "--batch", "2"), "bench: --batch is for " + TIMING + ", not for " + MEMORY);
        refused.put(List.of("--model", "lenet", "--runs", "2", "--profile"), "bench: --profile is for " + TIMING + ", not for " + MEMORY);
        refused.put(List.of("--model", "lenet", "--runs", "2", "--preset", "plain"), "bench: --preset is for " + STREAMING + ", not for " + MEMORY);
        refused.put(List.of("--model", "lenet", "--runs", "2", "--filter", "1"), "bench: --filter is for " + STREAMING + ", not for " + MEMORY);
        refused.put(List.of("--stream", "--profile"), "bench: --profile is for " + TIMING + ", not for " + STREAMING);
        refused.put(List.of("--stream", "--runs", "2"), "bench: --runs is for " + MEMORY + ", not for " + STREAMING);
        refused.put(List.of("--stream", "--batch", "2"), "bench: --batch is for " + TIMING + ", not for " + STREAMING
                + ": --concurrent N streams N runs at once");
        // Given is given: a value that happens to be the default is ignored all the same.
        refused.put(List.of("--stream", "--batch", "1"), "bench: --batch is for " + TIMING + ", not for " + STREAMING
                + ": --concurrent N streams N runs at once");
        refused.put(List.of("--model", "lenet", "--runs", "2", "--warm-up", "0"), "bench: --warm-up is for " + TIMING + ", not for " + MEMORY);
        // The reference's LeNet is 28 px whatever its --size; ours was too, silently.
        refused.put(List.of("--model", "lenet", "--size", "64"), "bench: --model lenet takes 28 px pictures only, got --size 64");
        refused.put(List.of("--model", "lenet", "--runs", "2", "--size", "64"), "bench: --model lenet takes 28 px pictures only, got --size 64");
        refused.forEach((flags, message) -> {
            List<String> args = new ArrayList<>(List.of("bench", "--steps", "1"));
            args.addAll(flags);
            CommandLine.Failure f = CommandLine.fail(args.toArray(String[]::new));
            assertEquals(message, f.message(), flags.toString());
            assertEquals("", f.printed(), flags.toString());
        });
    }

    /** Every flag a mode reads, all at once, as bench/side-by-side.sh gives them (lenet at --size 28 among them). */
    @Test
    void everyFlagAModeReadsIsAcceptedInIt(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Map<String, String> timed = figures(CommandLine.run("bench", "--model", "lenet", "--size", "28", "--batch", "2", "--steps", "2",
                "--warm-up", "0", "--layer", "conv4", "--profile"), "filterscope steps_per_s=");
        assertEquals("2", timed.get("batch"), timed.toString());
        assertEquals("1", figures(CommandLine.run("bench", "--models", dir.toString(), "--model", "tiny", "--layer", "conv2", "--size", "28",
                "--steps", "1", "--runs", "1"), "filterscope memory ").get("runs"));
        assertEquals("1.00", figures(CommandLine.run("bench", "--stream", "--models", dir.toString(), "--model", "tiny", "--layer", "conv2",
                "--filter", "1", "--size", "28", "--steps", "2", "--preset", "plain", "--concurrent", "1"),
                "filterscope stream_concurrent runs=1 ").get("vs_one_run"));
    }

    /**
     * {@code --stream=false} (picocli takes a value for a boolean flag) chooses timing or memory as leaving it out does;
     * it was refused as "--stream is for streaming (--stream), not for timing steps (no --stream or --runs)".
     */
    @Test
    void streamGivenFalseChoosesTimingOrMemoryAsLeavingItOutDoes(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        assertEquals("conv4", figures(CommandLine.run("bench", "--stream=false", "--model", "lenet", "--steps", "1"),
                "filterscope steps_per_s=").get("layer"));
        assertEquals("1", figures(CommandLine.run("bench", "--stream=false", "--models", dir.toString(), "--model", "tiny",
                "--steps", "1", "--runs", "1"), "filterscope memory ").get("runs"));
    }

    /** A new flag is read by some mode, or every use of it would be refused. */
    @Test
    void everyFlagOfBenchIsReadBySomeMode() {
        for (OptionSpec option : Main.commandLine().getSubcommands().get("bench").getCommandSpec().options()) {
            if (!option.usageHelp() && !option.versionHelp()) {
                assertTrue(java.util.Arrays.stream(BenchCommand.Mode.values()).anyMatch(m -> m.reads(option.longestName())),
                        option.longestName());
            }
        }
    }

    @Test
    void profileTimesEveryStageOfTheStepForwardAndBackward() throws Exception {
        String out = CommandLine.run("bench", "--model", "lenet", "--steps", "3", "--profile");
        for (String layer : new String[] {"conv1", "conv2", "conv3", "conv4"}) {
            String row = out.lines().filter(l -> l.matches("# " + layer + " +conv2d 3x3 .*")).findFirst()
                    .orElseThrow(() -> new AssertionError("no profile row of " + layer + " in:\n" + out));
            String[] times = row.trim().split(" +");
            // wall-clock and processor time, forward and backward: four numbers that a finished pass has made positive
            for (int k = times.length - 4; k < times.length; k++) {
                assertTrue(Double.parseDouble(times[k]) >= 0, row);
            }
            assertTrue(Double.parseDouble(times[times.length - 4]) > 0 && Double.parseDouble(times[times.length - 3]) > 0, row);
        }
        assertTrue(out.contains("# network (sum of medians)") && out.contains("# rest of the step"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("# per-step cpu ms (all threads): min=")), out);
    }

    /**
     * A refusal from the code bench calls (the model store, the network, the server a stream runs on) starts with
     * {@code bench:} as its own flags' refusals do; it lacked it.
     */
    @Test
    void anUnknownLayerOrModelIsNotFoundStartingWithBenchWhateverIsMeasured(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        for (List<String> flags : List.of(List.of("--model", "lenet"), List.of("--model", "lenet", "--runs", "2"),
                List.of("--models", dir.toString(), "--model", "tiny"), List.of("--models", dir.toString(), "--model", "tiny", "--runs", "2"),
                List.of("--stream", "--models", dir.toString(), "--model", "tiny"))) {
            List<String> args = new ArrayList<>(List.of("bench", "--layer", "zz", "--steps", "1"));
            args.addAll(flags);
            UserError e = assertThrows(UserError.class, () -> Main.run(args.toArray(String[]::new)));
            assertTrue(e.getMessage().startsWith("bench: unknown layer 'zz'") && e.getMessage().contains("(layers: conv1, ")
                    && e.getMessage().endsWith(")"), flags + ": " + e.getMessage());
        }
        for (String mode : new String[] {"--stream", "--profile"}) {
            UserError e = assertThrows(UserError.class, () -> Main.run("bench", mode, "--models", dir.toString(), "--model", "nope"));
            assertTrue(e.notFound && e.getMessage().startsWith("bench: unknown model 'nope' ("), mode + ": " + e.getMessage());
        }
    }

    /**
     * A layer whose map shrinks to nothing at {@code --size} is refused naming the smallest size it takes, as a run's start
     * is, where bench said "unknown layer 'pool2'" of a layer the model lists. tiny is LeNet (3x3 convolutions without
     * padding, 2x2 pools): conv4's map is (s - 4) / 2 - 4 px, rounded down, and pool2 needs 2 of it, so 16 px at least
     * (worked by hand). Its dense layer takes the model's own size only.
     */
    @Test
    void aLayerWithNoMapAtTheSizeIsRefusedNamingTheSmallestSizeItTakes(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        for (List<String> mode : List.of(List.<String>of(), List.of("--runs", "2"))) {
            List<String> args = new ArrayList<>(List.of("bench", "--models", dir.toString(), "--model", "tiny", "--steps", "1"));
            args.addAll(mode);
            List<String> pool2 = new ArrayList<>(args);
            pool2.addAll(List.of("--layer", "pool2", "--size", "8"));
            CommandLine.Failure f = CommandLine.fail(pool2.toArray(String[]::new));
            assertEquals("bench: layer pool2 of tiny has no map at 8 px: a map on its way shrinks to nothing; the smallest size it "
                    + "takes is 16 px", f.message(), mode.toString());
            assertEquals("", f.printed(), mode.toString());
            List<String> dense = new ArrayList<>(args);
            dense.addAll(List.of("--layer", "output", "--size", "32"));
            assertEquals("bench: layer output of tiny can only be computed at the model's own size, 28 px; got 32 px",
                    CommandLine.fail(dense.toArray(String[]::new)).message(), mode.toString());
        }
    }

    @Test
    void streamingThroughARealWebSocketGetsOneFramePerStep(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Map<String, String> f = figures(CommandLine.run("bench", "--stream", "--models", dir.toString(), "--model", "tiny",
                "--layer", "conv2", "--steps", "30"), "filterscope stream ");
        assertEquals("30", f.get("frames"), f.toString());
        assertEquals("30", f.get("steps"));
        assertTrue(Double.parseDouble(f.get("first_frame_ms")) > 0 && Double.parseDouble(f.get("frames_per_s")) > 0, f.toString());
        assertEquals("tiny", f.get("model"));
    }

    @Test
    void streamingABundledModelTakesItsOwnSizeAndLayerUnlessGiven() throws Exception {
        Map<String, String> f = figures(CommandLine.run("bench", "--stream", "--models", "models", "--model", "emoji-cnn",
                "--steps", "3"), "filterscope stream ");
        assertEquals("64", f.get("size"), "emoji-cnn's pictures are 64 px: " + f);
        assertEquals("conv5", f.get("layer"), "the layer its page opens on: " + f);
    }

    /** A model dropped in without a {@code defaultView} streams the layer its page opens on: its second convolution. */
    @Test
    void streamingADroppedInModelTakesTheLayerItsPageOpensOn(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Map<String, String> f = figures(CommandLine.run("bench", "--stream", "--models", dir.toString(), "--model", "tiny",
                "--steps", "2"), "filterscope stream ");
        assertEquals("conv2", f.get("layer"), f.toString());
    }

    @Test
    void streamingVgg16StepsBlock5Conv1AsItsTimingDoes() throws Exception {
        Map<String, String> f = figures(CommandLine.run("bench", "--stream", "--model", "vgg16", "--size", "32", "--steps", "2"),
                "filterscope stream ");
        assertEquals("block5_conv1", f.get("layer"), f.toString());
        assertEquals("2", f.get("frames"), f.toString());
        // Its sizes' bounds are its timing's too (it took 8 px and ran at 28 px when none was given).
        assertEquals("bench: --size must be between 32 and 1024, got 28",
                assertThrows(UserError.class, () -> CommandLine.run("bench", "--stream", "--model", "vgg16", "--size", "28")).getMessage());
    }

    @Test
    void timingABundledModelStepsTheLayerItsPageOpensOnUnlessGiven() throws Exception {
        Map<String, String> f = figures(CommandLine.run("bench", "--models", "models", "--model", "emoji-cnn", "--steps", "2"),
                "filterscope steps_per_s=");
        assertEquals("64", f.get("size"), f.toString());
        assertEquals("conv5", f.get("layer"), "emoji-cnn's usual layer, as with --stream, not the flatten before its output: " + f);
    }

    /**
     * A model dropped in without a {@code defaultView} times the layer its page opens on, its second convolution, as
     * {@code --stream} does: it timed the layer before its last (LeNet's pool2), which has no map at 8 px, so that {@code
     * bench --model mnist-cnn --size 8} was refused where {@code --stream} ran.
     */
    @Test
    void timingADroppedInModelStepsTheLayerItsPageOpensOnAsStreamingDoes(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Map<String, String> f = figures(CommandLine.run("bench", "--models", dir.toString(), "--model", "tiny", "--size", "8",
                "--steps", "2"), "filterscope steps_per_s=");
        assertEquals("conv2", f.get("layer"), f.toString());
        assertEquals("8", f.get("size"), f.toString());
    }

    @Test
    void concurrentRunsEachOnItsOwnWebSocketAreReportedAgainstOneRun(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("bench", "--stream", "--models", dir.toString(), "--model", "tiny", "--layer", "conv2",
                "--steps", "10", "--concurrent", "1,3");
        Map<String, String> one = figures(out, "filterscope stream_concurrent runs=1 ");
        Map<String, String> three = figures(out, "filterscope stream_concurrent runs=3 ");
        assertEquals("1.00", one.get("vs_one_run"), out);
        double ratio = Double.parseDouble(three.get("steps_per_s")) / Double.parseDouble(one.get("steps_per_s"));
        assertEquals(ratio, Double.parseDouble(three.get("vs_one_run")), 0.01 * ratio + 0.01, "the rates are rounded: " + out);
        assertTrue(Double.parseDouble(three.get("cpu_ms_per_step")) > 0 && Double.parseDouble(three.get("first_frame_ms_max")) > 0, out);
        assertEquals(1, out.lines().filter(l -> l.matches("# 3 runs at once: .* \\d+ frames for 30 steps")).count(), out);
    }

    @Test
    void aRepeatedCountOfConcurrentRunsLeavesItsFirstRoundOutAsAWarmUp(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("bench", "--stream", "--models", dir.toString(), "--model", "tiny", "--layer", "conv2",
                "--steps", "5", "--concurrent", "1,2,1");
        List<String> alone = out.lines().filter(l -> l.startsWith("# 1 runs at once: "))
                .map(l -> l.substring("# 1 runs at once: ".length(), l.indexOf(" steps/s"))).toList();
        assertEquals(2, alone.size(), out);
        Map<String, String> one = figures(out, "filterscope stream_concurrent runs=1 ");
        assertEquals("1", one.get("rounds"), out);
        assertEquals(alone.get(1), one.get("steps_per_s"), "the second round's rate, not the first's nor their mean: " + out);
        assertEquals("1", figures(out, "filterscope stream_concurrent runs=2 ").get("rounds"), "a count given once keeps its round: " + out);
    }

    @Test
    void memoryAcrossShortRunsOfAModelFromTheModelsDirectory(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("bench", "--models", dir.toString(), "--model", "tiny", "--runs", "10", "--steps", "2");
        Map<String, String> f = figures(out, "filterscope memory ");
        assertEquals("10", f.get("runs"), out);
        assertTrue(Long.parseLong(f.get("rss_mb")) > 0, out);
        assertEquals(5, out.lines().filter(l -> l.matches("# after \\d+ runs: rss \\d+ MB, heap [0-9.]+ MB")).count(), out);
    }
}
