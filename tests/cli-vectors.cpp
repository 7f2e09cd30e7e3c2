// `frameseal vectors` on untrusted files: every missing or mistyped field is one failing line that
// names the record and the field, never an abort; encode-direction records are checked.
#include <fstream>
#include <string>

#include "cli_run.hpp"
#include "common.hpp"

using fstest::cli;
using fstest::Run;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/fs-vectors-" + name + ".json";
  std::ofstream(path) << text;
  return path;
}

bool has_line(const Run& r, const std::string& line) {
  for (const auto& l : r.lines)
    if (l == line) return true;
  return false;
}

const char* receiver = R"("receiver": {"options": {"ratchetWindowSize": 16}, )"
                       R"("key_index_0_material_hex": "00112233445566778899aabbccddeeff"})";

}  // namespace

TEST_CASE("vectors: the public file passes") {
  const Run r = cli("vectors " + fstest::vectors_dir() + "/livekit/livekit-client-2.23.0-public.json");
  CHECK(r.status == 0);
  REQUIRE(!r.lines.empty());
  CHECK(r.lines.back() == "20 passed, 0 failed");
}

TEST_CASE("vectors: missing and mistyped fields are one line each, never an abort") {
  const std::string path = write_file(
      "bad", std::string(R"({"decode_behaviour": [)") +
                 R"({"direction": "encode", "id": "no-input", "result": {"error": "x"}},)" +
                 R"({"id": "no-receiver", "input": {"codec": "vp8"}, "result": {}},)" +
                 R"({"id": "bad-hex", )" + receiver +
                 R"(, "input": {"codec": "vp8", "encrypted_frame_hex": "zz"}, "result": {}},)" +
                 R"({"id": "bad-type", )" + receiver +
                 R"(, "input": {"codec": 7, "encrypted_frame_hex": "00"}, "result": {}},)" + R"(42],)" +
                 R"("vectors": [{"id": "key-index-string", "codec": "opus", "kind": "audio", )"
                 R"("key_index": "3", "key_material_hex": "00", "plaintext_hex": "00", )"
                 R"("encrypted_frame_hex": "00"}],)" +
                 R"("ratchet_chains": {"not": "an array"}})");
  const Run r = cli("vectors " + path);
  CHECK(r.status == 1);  // not 134 (abort) or a signal
  CHECK(has_line(r, "FAIL no-input: field 'input': missing"));
  CHECK(has_line(r, "FAIL no-receiver: field 'receiver': missing"));
  CHECK(has_line(r, "FAIL bad-hex: field 'encrypted_frame_hex': not hex"));
  CHECK(has_line(r, "FAIL bad-type: field 'codec': not a string"));
  CHECK(has_line(r, "FAIL decode_behaviour: field 'record': not an object"));
  CHECK(has_line(r, "FAIL key-index-string: field 'key_index': not a non-negative integer"));
  CHECK(has_line(r, "FAIL ratchet_chains: not an array"));
  CHECK(r.lines.back() == "0 passed, 7 failed");
  CHECK(cli("vectors " + write_file("array", "[1, 2]")).lines.back() == "0 passed, 1 failed");
  CHECK(cli("vectors " + write_file("truncated", R"({"vectors": [{"id": )")).status == 2);
}

TEST_CASE("vectors: encode-direction records are checked, not skipped") {
  const std::string path = write_file(
      "encode", std::string(R"({"decode_behaviour": [)") +
                    R"({"direction": "encode", "id": "av1-refused", )" + receiver +
                    R"(, "input": {"codec": "av1", "kind": "video", "frame_type": "key", )"
                    R"("plaintext_hex": "0a0b0c0d0e0f"}, "result": {"error": "AV1 is not supported"}},)" +
                    R"({"direction": "encode", "id": "vp8-2-byte-delta", "input": {"codec": "vp8", )"
                    R"("frame_type": "delta", "plaintext_hex": "0102"}, "result": {"threw": true}},)" +
                    R"({"direction": "encode", "id": "empty", "input": {"codec": "opus", )"
                    R"("kind": "audio", "plaintext_hex": ""}, "result": {"output_frame_hex": ""}},)" +
                    R"({"direction": "encode", "id": "opus-sent", "input": {"codec": "opus", )"
                    R"("kind": "audio", "plaintext_hex": "fc0102030405"}, )"
                    R"("result": {"output_frame_hex": )"
                    R"("fc000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200c00"}},)" +
                    R"({"direction": "encode", "id": "claims-av1-sent", "input": {"codec": "av1", )"
                    R"("plaintext_hex": "0a0b"}, "result": {"output_frame_hex": "0a0b"}},)" +
                    R"({"direction": "encode", "id": "claims-opus-refused", "input": {"codec": "opus", )"
                    R"("plaintext_hex": "fc01"}, "result": {"encrypted": false}})" +
                    R"(]})");
  const Run r = cli("vectors " + path);
  CHECK(r.status == 1);
  CHECK(
      has_line(r, "FAIL claims-av1-sent: the package sent the frame, frameseal refused: unsupported_codec"));
  CHECK(has_line(r, "FAIL claims-opus-refused: the package refused the frame, frameseal sent it"));
  CHECK(r.lines.back() == "4 passed, 2 failed");
}
