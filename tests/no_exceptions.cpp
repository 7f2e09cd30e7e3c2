// Built with -fno-exceptions -fno-rtti: the core must not need either.
#include <frameseal/frameseal.hpp>

int main() {
  return frameseal::to_string(frameseal::Errc::ok).size() == 2 ? 0 : 1;
}
