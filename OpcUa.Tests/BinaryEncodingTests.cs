using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Transport;

namespace MqttIoT.OpcUa.Tests;

/// <summary>
/// The binary encoding against bytes worked out by hand from OPC 10000-6 §5.2 (several are the spec's own
/// examples), and round trips through the decoder.
/// </summary>
public class BinaryEncodingTests
{
    private static byte[] Encode(Action<BinaryEncoder> write)
    {
        var e = new BinaryEncoder();
        write(e);
        return e.ToArray();
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static TheoryData<string, string> NodeIds => new()
    {
        { "i=72", "00 48" }, // two-byte (spec example)
        { "ns=5;i=1025", "01 05 01 04" }, // four-byte (spec example)
        { "ns=2;i=1234567", "02 02 00 87 D6 12 00" }, // numeric
        { "ns=1;s=Hot水", "03 01 00 06 00 00 00 48 6F 74 E6 B0 B4" }, // string (spec example)
        { "ns=4;g=72962b91-fa75-4ae6-8d28-b404dc7daf63", "04 04 00 91 2B 96 72 75 FA E6 4A 8D 28 B4 04 DC 7D AF 63" }, // guid (spec example)
        { "ns=1;b=AQID", "05 01 00 03 00 00 00 01 02 03" }, // opaque
    };

    [Theory]
    [MemberData(nameof(NodeIds))]
    public void NodeIds_take_their_most_compact_encoding_and_decode_back(string text, string hex)
    {
        var id = NodeId.Parse(text);
        Encode(e => e.WriteNodeId(id)).Should().Equal(Hex(hex));
        new BinaryDecoder(Hex(hex)).ReadNodeId().Should().Be(id);
        id.ToString().Should().Be(text);
    }

    [Fact]
    public void Scalars_are_little_endian_as_the_spec_examples_show()
    {
        Encode(e => e.WriteInt32(1_000_000_000)).Should().Equal(Hex("00 CA 9A 3B"));
        Encode(e => e.WriteFloat(-6.5f)).Should().Equal(Hex("00 00 D0 C0"));
        Encode(e => e.WriteString("水Boy")).Should().Equal(Hex("06 00 00 00 E6 B0 B4 42 6F 79"));
        Encode(e => e.WriteString(null)).Should().Equal(Hex("FF FF FF FF"));
        Encode(e => e.WriteGuid(Guid.Parse("C496578A-0DFE-4B8F-870A-745238C6AEAE")))
            .Should().Equal(Hex("8A 57 96 C4 FE 0D 8F 4B 87 0A 74 52 38 C6 AE AE"));
        Encode(e => e.WriteBoolean(true)).Should().Equal(Hex("01"));
    }

    [Fact]
    public void DateTime_counts_100ns_since_1601_and_clamps_the_ends()
    {
        // 2000-01-01T00:00:00Z is 125,911,584,000,000,000 ticks after 1601-01-01 = 0x01BF53EB256D4000.
        var y2k = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Encode(e => e.WriteDateTime(y2k)).Should().Equal(Hex("00 40 6D 25 EB 53 BF 01"));
        new BinaryDecoder(Hex("00 40 6D 25 EB 53 BF 01")).ReadDateTime().Should().Be(y2k);
        Encode(e => e.WriteDateTime(DateTime.MinValue)).Should().Equal(new byte[8]);
        Encode(e => e.WriteDateTime(new DateTime(1500, 1, 1, 0, 0, 0, DateTimeKind.Utc))).Should().Equal(new byte[8]);
        Encode(e => e.WriteDateTime(DateTime.MaxValue)).Should().Equal(Hex("FF FF FF FF FF FF FF 7F"));
        new BinaryDecoder(new byte[8]).ReadDateTime().Should().Be(DateTime.MinValue);
    }

    [Fact]
    public void Variants_carry_their_type_and_the_array_bit()
    {
        Encode(e => e.WriteVariant(new Variant(BuiltInType.Int32, 5))).Should().Equal(Hex("06 05 00 00 00"));
        var array = new Variant(BuiltInType.Int32, new[] { 1, 2 }, isArray: true);
        Encode(e => e.WriteVariant(array)).Should().Equal(Hex("86 02 00 00 00 01 00 00 00 02 00 00 00"));
        Encode(e => e.WriteVariant(Variant.Null)).Should().Equal(Hex("00"));
        new BinaryDecoder(Hex("86 02 00 00 00 01 00 00 00 02 00 00 00")).ReadVariant().Should().Be(array);
        new BinaryDecoder(Hex("0B 00 00 00 00 00 00 F0 3F")).ReadVariant().Should().Be(new Variant(BuiltInType.Double, 1.0));
    }

    [Fact]
    public void DataValue_mask_says_which_fields_follow()
    {
        var value = new DataValue
        {
            Value = new Variant(BuiltInType.Boolean, true),
            StatusCode = StatusCodes.BadNodeIdUnknown,
            SourceTimestamp = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        var bytes = Encode(e => e.WriteDataValue(value));
        bytes.Should().Equal(Hex("07 01 01 00 00 34 80 00 40 6D 25 EB 53 BF 01"));
        new BinaryDecoder(bytes).ReadDataValue().Should().Be(value);
    }

    [Fact]
    public void Text_names_and_expanded_ids_round_trip()
    {
        Encode(e => e.WriteLocalizedText(new LocalizedText(null, "Hi"))).Should().Equal(Hex("02 02 00 00 00 48 69"));
        Encode(e => e.WriteQualifiedName(new QualifiedName(1, "A"))).Should().Equal(Hex("01 00 01 00 00 00 41"));
        var expanded = new ExpandedNodeId(new NodeId(5u), "urn:x", 2);
        var bytes = Encode(e => e.WriteExpandedNodeId(expanded));
        bytes.Should().Equal(Hex("C0 05 05 00 00 00 75 72 6E 3A 78 02 00 00 00"));
        new BinaryDecoder(bytes).ReadExpandedNodeId().Should().Be(expanded);
    }

    [Fact]
    public void Truncated_and_lying_input_is_a_decoding_error_not_a_crash()
    {
        var act = () => new BinaryDecoder(Hex("06 00 00 00 41")).ReadString();
        act.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadDecodingError);
        var huge = () => new BinaryDecoder(Hex("86 FF FF FF 7F")).ReadVariant();
        huge.Should().Throw<OpcUaException>().Which.Status.IsBad.Should().BeTrue();
        var badId = () => new BinaryDecoder(Hex("3F 00")).ReadVariant();
        badId.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadDecodingError);
    }

    [Fact]
    public void Status_codes_read_as_their_names()
    {
        new StatusCode(StatusCodes.BadTypeMismatch).ToString().Should().Be("BadTypeMismatch");
        new StatusCode(0x80340000).Describe().Should().Contain("BadNodeIdUnknown").And.Contain("does not exist");
        new StatusCode(0x8FFF0000).ToString().Should().Be("0x8FFF0000");
        new OpcUaException(StatusCodes.BadTypeMismatch, "writing ns=1;s=X").Message.Should().StartWith("writing ns=1;s=X: BadTypeMismatch");
    }

    [Fact]
    public void Hello_announces_the_buffers_and_the_endpoint()
    {
        var hello = UaTcpConnection.EncodeHello(new OpcUaClientOptions
        {
            EndpointUrl = "opc.tcp://h:1/p", ReceiveBufferSize = 8192, SendBufferSize = 65536, MaxMessageSize = 0, MaxChunkCount = 0,
        });
        hello.Should().Equal(Hex("48 45 4C 46 2F 00 00 00 00 00 00 00 00 20 00 00 00 00 01 00 00 00 00 00 00 00 00 00 0F 00 00 00")
            .Concat("opc.tcp://h:1/p"u8.ToArray()));
    }

    [Fact]
    public void Acknowledge_shrinks_the_send_buffer_and_refuses_buffers_under_8192()
    {
        var options = new OpcUaClientOptions { ReceiveBufferSize = 65536, SendBufferSize = 65536 };
        byte[] Ack(uint receive, uint send) => Encode(e => { e.WriteUInt32(0); e.WriteUInt32(receive); e.WriteUInt32(send); e.WriteUInt32(0); e.WriteUInt32(0); });
        UaTcpConnection.DecodeAcknowledge(Ack(8192, 65536), options).SendChunkSize.Should().Be(8192);
        var small = () => UaTcpConnection.DecodeAcknowledge(Ack(4096, 65536), options);
        small.Should().Throw<OpcUaException>().WithMessage("*under the minimum of 8192*");
        var tooBig = () => UaTcpConnection.DecodeAcknowledge(Ack(8192, 1 << 20), options);
        tooBig.Should().Throw<OpcUaException>();
    }

    [Fact]
    public void Messages_split_into_chunks_that_fit_and_end_with_F()
    {
        var body = Enumerable.Range(0, 20000).Select(i => (byte)i).ToArray();
        uint sequence = 41;
        var chunks = SecureChannel.BuildChunks("MSG", 7, 3, () => ++sequence, 99, body, 8192 - SecureChannel.SymmetricHeaderSize, 0);
        chunks.Should().HaveCount(3);
        chunks.Should().OnlyContain(c => c.Length <= 8192);
        chunks.Select(c => (char)c[3]).Should().Equal('C', 'C', 'F');
        chunks.Select(c => BitConverter.ToUInt32(c, 16)).Should().Equal(42u, 43u, 44u);
        chunks.Should().OnlyContain(c => BitConverter.ToUInt32(c, 8) == 7 && BitConverter.ToUInt32(c, 12) == 3 && BitConverter.ToUInt32(c, 20) == 99);
        chunks.SelectMany(c => c.Skip(SecureChannel.SymmetricHeaderSize)).Should().Equal(body);
        var limited = () => SecureChannel.BuildChunks("MSG", 7, 3, () => 1, 99, body, 8192 - SecureChannel.SymmetricHeaderSize, 2);
        limited.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadRequestTooLarge);
    }

    [Fact]
    public void Writes_convert_to_the_variable_type_or_fail_with_BadTypeMismatch()
    {
        ValueConverter.Convert(21, BuiltInType.Double).Should().Be(new Variant(BuiltInType.Double, 21.0));
        ValueConverter.Convert(21.0, BuiltInType.Int32).Should().Be(new Variant(BuiltInType.Int32, 21));
        foreach (var (value, type) in new (object, BuiltInType)[] { ("abc", BuiltInType.Int32), (21.5, BuiltInType.Int32), (300, BuiltInType.Byte), (1, BuiltInType.String) })
        {
            var act = () => ValueConverter.Convert(value, type);
            act.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadTypeMismatch);
        }
    }
}
