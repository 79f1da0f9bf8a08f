package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** libnd4j's legacy pairwise product must give exactly the products of ND4J's broadcasting multiply. */
class ElementProductTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void productsAreExactlyThoseOfTheBroadcastingMultiply(DataType type) {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(type, 2, 5, 40, 40);
        INDArray y = Nd4j.randn(type, 2, 5, 40, 40);
        INDArray z = x.like();
        Nd4j.exec(new ElementProduct(x, y, z));
        assertEquals(x.mul(y), z);
        assertTrue(z.sumNumber().doubleValue() != 0, "the product was written");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void multipliesInPlaceAndOnRowViews(DataType type) {
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(type, 4, 3, 9, 9);
        INDArray y = Nd4j.randn(type, 4, 3, 9, 9);
        INDArray expected = x.mul(y);
        INDArray inPlace = x.dup();
        Nd4j.exec(new ElementProduct(inPlace, y, inPlace));
        assertEquals(expected, inPlace, "in place");
        INDArray rows = x.dup();
        Nd4j.exec(new ElementProduct(Network.rows(rows, 1, 3), Network.rows(y, 1, 3), Network.rows(rows, 1, 3)));
        assertEquals(Network.rows(expected, 1, 3), Network.rows(rows, 1, 3), "rows 1-2");
        assertEquals(Network.rows(x, 0, 1), Network.rows(rows, 0, 1), "row 0 untouched");
    }

    @Test
    void differentShapesAreRefusedInsteadOfBroadcast() {
        INDArray x = Nd4j.ones(DataType.FLOAT, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ElementProduct(x, Nd4j.ones(DataType.FLOAT, 1, 3), x.like()));
        assertEquals("element product of shapes [2, 3], [1, 3] into [2, 3]", e.getMessage());
    }
}
