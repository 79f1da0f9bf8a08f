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
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train --dataset fashion-mnist|mnist}: reproduces a bundled model with its metadata and example set. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Reproduces a bundled model, with its metadata and example set.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "fashion-mnist or mnist")
    String datasetName;

    @Option(names = "--out", paramLabel = "F.zip", description = "the model file (default: models/NAME.zip)")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "where the data set is (default: where its package puts it)")
    Path data;

    @Option(names = "--epochs", paramLabel = "N", description = "training epochs (default: the data set's)")
    Integer epochs;

    @Option(names = "--seed", paramLabel = "K", description = "seeds initialization and shuffling (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Override
    public Integer call() throws IOException {
        BundledDataset dataset = BundledDataset.byName(datasetName);
        Path out = this.out != null ? this.out : Path.of("models/" + dataset.modelId + ".zip");
        Path dataDir = data != null ? data : Path.of(dataset.defaultDataDir);
        int epochs = Cli.within("train", "--epochs", this.epochs != null ? this.epochs : dataset.defaultEpochs, 1, 1000);

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
