#pragma once

#include <memory>

namespace bb::projection {

// A value of T kept on the heap only once it is written: reading an empty box gives T{}. For
// parts of a read-model row that most rows never fill, so an empty one costs a pointer instead
// of the whole T. Copies are deep and equality compares values, as for a plain member.
template <class T>
class boxed {
  public:
    boxed() = default;
    boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
    boxed(boxed&&) noexcept = default;
    boxed& operator=(const boxed& o) {
        if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
        return *this;
    }
    boxed& operator=(boxed&&) noexcept = default;

    const T& get() const { return p_ ? *p_ : empty(); }
    T& edit() {
        if (!p_) p_ = std::make_unique<T>();
        return *p_;
    }
    bool filled() const { return p_ != nullptr; }  // written since it was made (or copied)
    bool operator==(const boxed& o) const { return get() == o.get(); }

  private:
    static const T& empty() {
        static const T none{};
        return none;
    }
    std::unique_ptr<T> p_;
};

}  // namespace bb::projection
