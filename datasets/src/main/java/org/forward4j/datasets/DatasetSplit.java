package org.forward4j.datasets;

import java.util.Objects;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;

/**
 * A training set and a test set with the same number of features and classes.
 *
 * @param train the set to train on
 * @param test the held-out set to evaluate on
 */
public record DatasetSplit(Dataset train, Dataset test) {

    /**
     * Checks that the two sets fit together.
     *
     * @param train the set to train on
     * @param test the held-out set to evaluate on
     * @throws InvalidDataException if the sets differ in cols or classes
     * @throws NullPointerException if a set is null
     */
    public DatasetSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (train.cols() != test.cols() || train.classes() != test.classes()) {
            throw new InvalidDataException("Training set " + train + " and test set " + test
                    + " must have the same number of features and classes");
        }
    }

    /**
     * Keeps at most the first {@code maxTrain} training rows and {@code maxTest} test rows, for quick runs.
     *
     * @param maxTrain the most training rows, at least 1
     * @param maxTest the most test rows, at least 1
     * @return the limited split (this split when both sets are already small enough)
     * @throws InvalidConfigurationException if a limit is smaller than 1
     */
    public DatasetSplit limit(int maxTrain, int maxTest) {
        Dataset tr = train.subset(maxTrain);
        Dataset te = test.subset(maxTest);
        return tr == train && te == test ? this : new DatasetSplit(tr, te);
    }

    /**
     * What looks wrong with the labels without being invalid: a training set with one class (accuracy is then
     * trivially 100%), labels that never occur below the largest one (the output layer is sized by the largest
     * label, so a stray 65535 builds a 65,536-wide layer), or test labels the training set never shows.
     *
     * @return one message per finding, empty when all looks right
     */
    public java.util.List<String> warnings() {
        java.util.List<String> out = new java.util.ArrayList<>();
        int[] counts = train.classCounts();
        int present = 0;
        int last = -1;
        java.util.List<Integer> missing = new java.util.ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] > 0) {
                present++;
                last = c;
            } else {
                missing.add(c);
            }
        }
        if (present == 1) {
            out.add("the training set " + train.name() + " holds only label " + last + ": every prediction of that "
                    + "class is right, so accuracy says nothing; check the label column");
        }
        if (!missing.isEmpty()) {
            out.add("labels " + (missing.size() <= 10 ? missing.toString() : missing.subList(0, 10) + " and "
                    + (missing.size() - 10) + " more") + " never occur in " + train.name() + ", but the largest label "
                    + (counts.length - 1) + " makes the output layer " + counts.length + " wide (" + present
                    + " classes present); remap the labels to 0.." + (present - 1) + " if they are not meant to be"
                    + " class ids");
        }
        int[] testCounts = test.classCounts();
        java.util.List<Integer> unseen = new java.util.ArrayList<>();
        for (int c = 0; c < testCounts.length; c++) {
            if (testCounts[c] > 0 && counts[c] == 0) {
                unseen.add(c);
            }
        }
        if (!unseen.isEmpty()) {
            out.add("test labels " + (unseen.size() <= 10 ? unseen : unseen.subList(0, 10) + " ...")
                    + " never occur in the training set: those rows cannot be learnt");
        }
        return out;
    }
}
