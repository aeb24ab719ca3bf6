package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.Association;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationDataValue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Collects one DIMSE request (command set, and its data set when it has one) from P-DATA PDUs,
 * in memory. PixelMed's {@code StorageSOPClassSCP} always answers C-STORE with Success before
 * its {@code ReceivedObjectHandler} can object, and an exception from that handler drops the
 * association without any status; radstream must answer per instance, after Kafka's
 * acknowledgement, with a failure status where needed. So radstream drives PixelMed's association
 * itself, and this is the data handler it installs: {@code ReceivedDataHandler}'s constructors are
 * package-private, and {@link CompositeResponseHandler} is its public, extensible subclass (its
 * response evaluation is unused here).
 */
final class DimseRequestReceiver extends CompositeResponseHandler {
    static final int C_STORE_RQ = 0x0001;
    static final int C_ECHO_RQ = 0x0030;
    private static final AttributeTag COMMAND_FIELD = new AttributeTag(0x0000, 0x0100);
    private static final AttributeTag COMMAND_DATA_SET_TYPE = new AttributeTag(0x0000, 0x0800);
    private static final int NO_DATA_SET = 0x0101;

    private final ByteArrayOutputStream command = new ByteArrayOutputStream(256);
    private final ByteArrayOutputStream data;
    private AttributeList commandList;
    private byte presentationContextId;

    DimseRequestReceiver(int expectedDataBytes) {
        this.data = new ByteArrayOutputStream(expectedDataBytes);
    }

    @Override
    public void sendPDataIndication(PDataPDU pdata, Association association)
            throws com.pixelmed.network.DicomNetworkException, DicomException, IOException {
        for (Object o : pdata.getPDVList()) {
            PresentationDataValue pdv = (PresentationDataValue) o;
            presentationContextId = pdv.getPresentationContextID();
            if (pdv.isCommand()) {
                command.write(pdv.getValue());
                if (pdv.isLastFragment()) {
                    commandList = new AttributeList();
                    commandList.read(new DicomInputStream(new ByteArrayInputStream(command.toByteArray()),
                            TransferSyntax.ImplicitVRLittleEndian, false));
                    if (Attribute.getSingleIntegerValueOrDefault(commandList, COMMAND_DATA_SET_TYPE, NO_DATA_SET) == NO_DATA_SET) {
                        setDone(true);
                    }
                }
            } else {
                data.write(pdv.getValue());
                if (pdv.isLastFragment()) {
                    setDone(true);
                }
            }
        }
    }

    @Override
    protected void evaluateStatusAndSetSuccess(AttributeList list) {
        // not a response handler: nothing to evaluate
    }

    /** The command set; null until its last fragment arrived. */
    AttributeList commandList() { return commandList; }

    int commandField() {
        return commandList == null ? -1 : Attribute.getSingleIntegerValueOrDefault(commandList, COMMAND_FIELD, -1);
    }

    byte presentationContextId() { return presentationContextId; }

    /** The data set as received, in the presentation context's transfer syntax (deflated stays deflated). */
    byte[] dataSet() { return data.toByteArray(); }
}
