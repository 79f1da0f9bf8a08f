package io.filterscope.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.model.ModelMetadata.PictureStatistics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The independent classifier and the three class-image checks, on the bundled MNIST examples. */
class CheckerTest {
    private static final Path MNIST_CHECKER = Path.of("src/test/resources/checkers/mnist-checker.json");

    private static LabeledImages digits() throws Exception {
        return IdxFiles.read(Path.of("models/mnist-cnn.examples-images.idx.gz"), Path.of("models/mnist-cnn.examples-labels.idx.gz"));
    }

    /** The first example of each digit, digit k at place k. */
    private static List<float[]> oneOfEach(LabeledImages digits) {
        float[][] found = new float[10][];
        for (int i = 0; i < digits.size(); i++) {
            if (found[digits.labels()[i]] == null) {
                found[digits.labels()[i]] = digits.pixels()[i];
            }
        }
        return Arrays.asList(found);
    }

    @Test
    void checkerReadsItsDescriptionAndNamesHeldOutDigits() throws Exception {
        Checker checker = Checker.read(MNIST_CHECKER);
        assertEquals("mnist-checker", checker.id());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), checker.classes());
        assertTrue(checker.takes(1, 28, 28));
        assertFalse(checker.takes(3, 28, 28));
        LabeledImages digits = digits().first(200);
        int[] says = checker.classify(Arrays.asList(digits.pixels()), 1, 28, 28);
        int right = 0;
        for (int i = 0; i < says.length; i++) {
            right += says[i] == digits.labels()[i] ? 1 : 0;
        }
        // It was 97.75% right on 2,000 held-out digits; a broken input mapping or output reading is near 10%.
        assertTrue(right >= 190, right + " of 200 digits named");
    }

    @Test
    void checkerRefusesPicturesOfAnotherShapeNamingBoth() {
        Checker checker = Checker.read(MNIST_CHECKER);
        UserError e = assertThrows(UserError.class, () -> checker.classify(List.of(new float[3 * 32 * 32]), 3, 32, 32));
        assertTrue(e.getMessage().contains("1x28x28") && e.getMessage().contains("3x32x32"), e.getMessage());
    }

    @Test
    void aBrokenDescriptionIsAOneLineErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path noClasses = dir.resolve("bad.json");
        Files.writeString(noClasses, "{\"file\":\"bad.onnx\",\"inputShape\":[1,28,28]}");
        UserError e = assertThrows(UserError.class, () -> Checker.read(noClasses));
        assertTrue(e.getMessage().startsWith(noClasses.toString()) && e.getMessage().contains("classes"), e.getMessage());
        Path garbled = dir.resolve("garbled.json");
        Files.writeString(garbled, "{not json");
        assertTrue(assertThrows(UserError.class, () -> Checker.read(garbled)).getMessage().startsWith(garbled.toString()));
    }

    @Test
    void namedCheckPassesWhenTheCheckerSeesTheClassAtItsPlaceAndFailsWhenPicturesAreSwapped() throws Exception {
        Checker checker = Checker.read(MNIST_CHECKER);
        List<float[]> pictures = new ArrayList<>(oneOfEach(digits()));
        List<ClassChecks.Result> right = ClassChecks.check(pictures, 1, 28, 28, null, checker);
        assertTrue(ClassChecks.count(right, 'a') >= 9, ClassChecks.count(right, 'a') + " of 10 named");
        for (ClassChecks.Result r : right) {
            assertEquals(r.checkerSays() == r.index(), r.named());
            assertNull(r.smooth(), "no training statistics, no smoothness check");
        }
        // The picture of a 0 put in the place of class 1 and the other way round.
        List<float[]> swapped = new ArrayList<>(pictures);
        swapped.set(0, pictures.get(1));
        swapped.set(1, pictures.get(0));
        List<ClassChecks.Result> wrong = ClassChecks.check(swapped, 1, 28, 28, null, checker);
        for (int k = 0; k < 2; k++) {
            if (Boolean.TRUE.equals(right.get(k).named()) && Boolean.TRUE.equals(right.get(1 - k).named())) {
                assertEquals(Boolean.FALSE, wrong.get(k).named(), "class " + k + " shown the other digit");
                assertFalse(wrong.get(k).passes());
            }
        }
    }

    @Test
    void smoothAndContrastChecksCompareWithTheTrainingPictures() {
        // Training pictures with neighbour difference p99 0.1 and contrast p1 0.2.
        PictureStatistics training = new PictureStatistics(100, 0.05, 0.1, 0.2, 0.3);
        int s = 16;
        float[] flat = PictureMeasuresTest.picture((y, x) -> 0.5);
        float[] checkerboard = PictureMeasuresTest.picture((y, x) -> (double) ((x + y) % 2));
        float[] ramp = PictureMeasuresTest.picture((y, x) -> x / (s - 1.0));
        List<ClassChecks.Result> r = ClassChecks.check(List.of(flat, checkerboard, ramp), 1, s, s, training, null);
        assertEquals(List.of(true, false, true), r.stream().map(ClassChecks.Result::smooth).toList(), "noise is too jagged");
        assertEquals(List.of(false, true, true), r.stream().map(ClassChecks.Result::contrasty).toList(), "a flat grey has no contrast");
        assertEquals(List.of(false, false, true), r.stream().map(ClassChecks.Result::passes).toList());
        assertNull(r.get(2).named(), "no checker, no naming check");
        assertEquals(-1, r.get(2).checkerSays());
        assertEquals(2, ClassChecks.count(r, 'b'));
        assertEquals(2, ClassChecks.count(r, 'c'));
        assertEquals(0, ClassChecks.count(r, 'a'));
        assertEquals(0, ClassChecks.count(r, '*'), "all three cannot pass when one could not be made");
    }
}
