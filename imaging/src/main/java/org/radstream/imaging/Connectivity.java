package org.radstream.imaging;

/**
 * Which neighbours join voxels into one component. Face connectivity (4 in 2D, 6 in 3D) keeps
 * diagonally touching lesions apart; full connectivity (8 / 26) keeps thin oblique vessels whole.
 */
public enum Connectivity {
    /** 4-neighbours in 2D, 6 in 3D. */
    FACE,
    /** 8-neighbours in 2D, 26 in 3D. */
    FULL
}
