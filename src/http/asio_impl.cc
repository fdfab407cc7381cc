// The compiled parts of Asio, Beast and Boost.URL, built once here (separate compilation) instead
// of in every file that includes them.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/url/src.hpp>
