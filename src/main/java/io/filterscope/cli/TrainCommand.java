package io.filterscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.train.BundledDataset;
import io.filterscope.train.LeNet;
import io.filterscope.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/** {@code train --dataset fashion-mnist|mnist}: reproduces a bundled model with its metadata and example set. */
final class TrainCommand {
    private TrainCommand() {
    }

    static int run(String[] args) throws IOException {
        Flags flags = Flags.parse("train", args, Set.of("dataset", "out", "data", "epochs", "seed"), Set.of());
        BundledDataset dataset = BundledDataset.byName(flags.required("dataset"));
        Path out = flags.path("out", "models/" + dataset.modelId + ".zip");
        Path dataDir = flags.path("data", dataset.defaultDataDir);
        int epochs = flags.integer("epochs", dataset.defaultEpochs, 1, 1000);
        long seed = flags.longValue("seed", 1);

        LabeledImages[] split;
        try {
            split = dataset.load(dataDir);
        } catch (NoSuchFileException e) {
            throw new UserError("train: data file not found: " + e.getFile() + " (see --data)");
        }
        LabeledImages train = split[0];
        LabeledImages heldOut = split[1];
        System.out.printf("%s: %d training images, %d held out%n", dataset.name, train.size(), heldOut.size());

        MultiLayerNetwork net = LeNet.create(28, 1, dataset.classes.size(), seed);
        Random rng = new Random(seed);
        ProgressBar bar = new ProgressBar(System.err);
        double accuracy = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Trainer.fitEpoch(net, train, rng, bar, "epoch " + epoch + "/" + epochs);
            accuracy = Trainer.accuracy(net, heldOut);
            System.out.printf("epoch %d: held-out accuracy %.4f%n", epoch, accuracy);
        }

        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String file = out.getFileName().toString();
        String base = file.replaceFirst("\\.zip$", "");
        ModelSerializer.writeModel(net, out.toFile(), false);
        IdxFiles.write(heldOut.first(Math.min(BundledDataset.EXAMPLES, heldOut.size())),
                dir.resolve(base + ".examples-images.idx.gz"), dir.resolve(base + ".examples-labels.idx.gz"));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve(base + ".json").toFile(),
                        dataset.metadata(file, accuracy, heldOut.size(), epochs));
        System.out.printf("wrote %s (held-out accuracy %.4f)%n", out, accuracy);
        return 0;
    }
}
